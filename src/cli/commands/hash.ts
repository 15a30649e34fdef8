import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { eventHash, parseCaptureBody } from '../../epcis/index.js';

export function registerHashCommand(program: Command): void {
  program
    .command('hash')
    .description(
      'Print the CBV 2.0 event hash (ni:///sha-256;…?ver=CBV2.0) of every event in a document, one per line, in document order',
    )
    .argument('<file>', 'an EPCIS 2.0 JSON-LD document')
    .action((file: string) => {
      const parsed = parseCaptureBody(readFileSync(file));
      const lines = parsed.events.map((event) => eventHash(event, parsed.context));
      process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
    });
}
