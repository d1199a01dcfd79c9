/**
 * A worker thread of the auditor: Ed25519 verifies of signing inputs against the keys the
 * main thread looked up, and the reader's body openings. It decides nothing: the main
 * thread's ordered replay takes each verdict only for the key the channel state names.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { b64uDecode, Body, ed25519Verify, openBody, x25519PrivateKey } from '../protocol';
import type { KeyObject } from 'node:crypto';

export interface WorkerInit {
  reader?: { id: string; boxSecret: string };
}

export interface SignatureJob {
  id: number;
  /** Signing inputs back to back: input i is inputs[offsets[i], offsets[i + 1]). */
  inputs: Uint8Array;
  offsets: Uint32Array;
  /** 64 bytes per input. */
  sigs: Uint8Array;
  /** The distinct keys of the batch, and which one each input is checked against. */
  keys: string[];
  keyOf: Uint32Array;
  /** Bodies addressed to the reader, to open and check. */
  bodies: Body[];
}

export interface SignatureVerdicts {
  id: number;
  /** 1 where input i verifies. */
  valid: Uint8Array;
  /** Per body: true when it opened and its commit matched, else why not, or null when it could not be tried. */
  opened: (true | string | null)[];
}

const init = workerData as WorkerInit;
let reader: { id: string; boxSecret: KeyObject } | null = null;
if (init.reader) {
  const secret = b64uDecode(init.reader.boxSecret, 32);
  if (!secret) throw new Error('reader.boxSecret must be 32 bytes of b64u');
  reader = { id: init.reader.id, boxSecret: x25519PrivateKey(secret) };
}

parentPort!.on('message', (job: SignatureJob) => {
  const n = job.keyOf.length;
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const input = job.inputs.subarray(job.offsets[i], job.offsets[i + 1]);
    valid[i] = ed25519Verify(job.keys[job.keyOf[i]], input, job.sigs.subarray(64 * i, 64 * i + 64)) ? 1 : 0;
  }
  const opened = job.bodies.map((body) => {
    try {
      const result = openBody(body, reader!);
      return result.ok ? true : result.message;
    } catch {
      return null; // not a body of the right shape: the replay refuses it before any opening
    }
  });
  // The job's buffers go back too: freed by the main thread's frequent collections rather
  // than piling up as external memory in this thread, which allocates too little to collect.
  const returned = [job.inputs, job.sigs, job.offsets, job.keyOf].map((a) => a.buffer as ArrayBuffer);
  parentPort!.postMessage({ id: job.id, valid, opened } satisfies SignatureVerdicts, [valid.buffer, ...returned]);
});
