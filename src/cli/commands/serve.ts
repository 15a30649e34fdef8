import type { Command } from 'commander';
import { Problem } from '../../core/errors.js';
import { defaultDbPath, openRuntime, type Runtime } from '../../runtime.js';
import { buildServerApp } from '../../server/full-app.js';

export async function listen(
  runtime: Runtime,
  port: number,
  host: string,
  checkpointIntervalMs = 10_000,
): Promise<string> {
  const app = await buildServerApp(runtime, {
    // Logs go to stderr: stdout is for what the command prints (tokens, addresses).
    logger: { level: process.env.RARETRACE_LOG_LEVEL ?? 'info', stream: process.stderr },
    checkpointIntervalMs,
  });
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
    .option('--checkpoint-interval <seconds>', 'sign a checkpoint this often while the log grows', '10')
    .action(
      async (options: {
        db: string;
        port: string;
        host: string;
        keys?: string;
        checkpointInterval: string;
      }) => {
        const seconds = Number(options.checkpointInterval);
        if (!Number.isFinite(seconds) || seconds < 0.1) {
          throw new Problem('bad-request', '--checkpoint-interval must be at least 0.1 seconds');
        }
        const runtime = await openRuntime(options.db, { keysDir: options.keys });
        const address = await listen(runtime, Number(options.port), options.host, seconds * 1000);
        process.stderr.write(
          `raretrace serving ${options.db} at ${address} (OpenAPI: ${address}/openapi.json)\n`,
        );
      },
    );
}
