import type { Command } from 'commander';
import { defaultDbPath, openRuntime, type Runtime } from '../../runtime.js';
import { buildServerApp } from '../../server/full-app.js';

export async function listen(runtime: Runtime, port: number, host: string): Promise<string> {
  const app = await buildServerApp(runtime, { logger: { level: process.env.RARETRACE_LOG_LEVEL ?? 'info' } });
  const address = await app.listen({ port, host });
  const stop = async (): Promise<void> => {
    await app.close();
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  return address;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the HTTP API (EPCIS 2.0 capture and query, lots, the log, controls, the simulator)')
    .option('--db <pathOrUrl>', 'SQLite file or postgres:// URL', defaultDbPath)
    .option('--port <n>', 'TCP port', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--keys <dir>', 'directory of the log signing key (default: beside the database)')
    .action(async (options: { db: string; port: string; host: string; keys?: string }) => {
      const runtime = await openRuntime(options.db, { keysDir: options.keys });
      const address = await listen(runtime, Number(options.port), options.host);
      process.stderr.write(
        `raretrace serving ${options.db} at ${address} (OpenAPI: ${address}/openapi.json)\n`,
      );
    });
}
