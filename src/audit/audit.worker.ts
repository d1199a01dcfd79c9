/**
 * A worker thread of the auditor: for each batch of NDJSON lines it sends back the
 * order-independent verdicts (line-verdicts.ts). The main thread replays them in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { b64uDecode, x25519PrivateKey } from '../protocol';
import { ClaimedKeys, LineVerdicts, lineVerdicts, Reader } from './line-verdicts';
import { splitLines } from './line-batches';

export interface WorkerInit {
  reader?: { id: string; boxSecret: string };
}

export type WorkerRequest =
  | { kind: 'batch'; id: number; bytes: Uint8Array }
  | { kind: 'keys'; channel: string; entries: [string, string][] };

export interface WorkerResponse {
  id: number;
  lines: LineVerdicts[];
}

const init = workerData as WorkerInit;
const keys = new ClaimedKeys();
let reader: Reader | undefined;
if (init.reader) {
  const secret = b64uDecode(init.reader.boxSecret, 32);
  if (!secret) throw new Error('reader.boxSecret must be 32 bytes of b64u');
  reader = { id: init.reader.id, boxSecret: x25519PrivateKey(secret) };
}

parentPort!.on('message', (msg: WorkerRequest) => {
  if (msg.kind === 'keys') {
    keys.learn(msg.channel, msg.entries);
    return;
  }
  const bytes = Buffer.from(msg.bytes.buffer, msg.bytes.byteOffset, msg.bytes.byteLength);
  const lines = splitLines(bytes).map((line) => {
    const v = lineVerdicts(line, keys, reader);
    // A view would carry the whole batch buffer through postMessage: copy the line alone.
    if (v.raw) v.raw = new Uint8Array(v.raw);
    return v;
  });
  parentPort!.postMessage({ id: msg.id, lines } satisfies WorkerResponse);
});
