import { Problem } from '../core/errors.js';
import { formatAddCheckpointBody } from '../tlog/witness.js';
import type { LogService } from './log-service.js';

/**
 * The log's side of C2SP tlog-witness: send the latest checkpoint to a witness with a consistency proof from
 * the size the witness last cosigned, and keep the cosignature it returns beside the checkpoint. A 409 answer
 * names the witness's size; the request is then retried once from that size.
 */
export async function submitToWitness(
  log: LogService,
  witnessUrl: string,
  options: { fetchImpl?: typeof fetch; oldSize?: number } = {},
): Promise<{ size: number; cosignature: string }> {
  const fetchImpl = options.fetchImpl ?? fetch;
  await log.publishCheckpoint();
  const checkpoint = await log.latestCheckpoint();
  const url = `${witnessUrl.replace(/\/$/, '')}/add-checkpoint`;
  let oldSize = options.oldSize ?? 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    const proof = oldSize === 0 ? [] : await log.consistencyProof(oldSize, checkpoint.size);
    const response = await fetchImpl(url, {
      method: 'POST',
      body: formatAddCheckpointBody({ oldSize, consistencyProof: proof, checkpointNote: checkpoint.note }),
    });
    const text = await response.text();
    if (response.status === 200) {
      const line = text.endsWith('\n') ? text : `${text}\n`;
      const cosigned = `${checkpoint.note}${line}`;
      await log.addCosignature(cosigned);
      return { size: checkpoint.size, cosignature: line.trimEnd() };
    }
    if (response.status === 409 && attempt === 0) {
      const size = Number(text.trim());
      if (!Number.isSafeInteger(size) || size > checkpoint.size) {
        throw new Problem(
          'log-conflict',
          `the witness is at size ${text.trim()}, beyond this log's ${checkpoint.size}`,
        );
      }
      oldSize = size;
      continue;
    }
    throw new Problem(
      'bad-request',
      `the witness refused the checkpoint (${response.status}): ${text.trim()}`,
    );
  }
  throw new Problem('bad-request', 'the witness kept refusing the old size');
}
