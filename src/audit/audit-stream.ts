/**
 * Audits an NDJSON byte stream with bounded memory: batches of lines go to worker threads
 * for the order-independent work (parsing, forms, signature, body opening), and this
 * thread replays their verdicts in input order through the one LogVerifier. The report is
 * the same for any number of workers, 0 (all in this thread) included.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  adoptEnvelopeForms,
  AddHints,
  Envelope,
  EnvelopeForms,
  LogReport,
  LogVerifier,
  signingInput,
  verifyEnvelopeSignature,
} from '../protocol';
import type { WorkerInit, WorkerRequest, WorkerResponse } from './audit.worker';
import { lineBatches, splitLines } from './line-batches';
import { claimedKeysOf, LineVerdicts, openedResult } from './line-verdicts';

export interface AuditProgress {
  /** Non-empty lines replayed so far. */
  lines: number;
  /** Input bytes replayed so far. */
  bytes: number;
}

export interface AuditStreamOptions {
  /** Worker threads for the signature checks; 0 does everything in this thread. */
  workers: number;
  /** Open and check every body addressed to this participant (an auditor under `auditorsRead`). */
  reader?: { id: string; boxSecret: string };
  onProgress?: (progress: AuditProgress) => void;
}

export async function auditStream(chunks: AsyncIterable<Uint8Array>, options: AuditStreamOptions): Promise<LogReport> {
  const verifier = new LogVerifier({ reader: options.reader });
  const progress: AuditProgress = { lines: 0, bytes: 0 };
  const batches = lineBatches(chunks);
  if (options.workers <= 0) {
    for await (const batch of batches) {
      for (const line of splitLines(batch)) {
        verifier.addLineBytes(line);
        progress.lines++;
      }
      progress.bytes += batch.length;
      options.onProgress?.(progress);
    }
    return verifier.report();
  }
  const pool = new VerdictPool(options.workers, { reader: options.reader });
  try {
    // Up to this many batches are out at the workers while this thread replays the oldest.
    const inFlight: { bytes: number; result: Promise<WorkerResponse> }[] = [];
    const replayOldest = async () => {
      const { bytes, result } = inFlight.shift()!;
      const { lines } = await result;
      for (const v of lines) replayLine(verifier, v, pool);
      progress.lines += lines.length;
      progress.bytes += bytes;
      options.onProgress?.(progress);
    };
    for await (const batch of batches) {
      inFlight.push({ bytes: batch.length, result: pool.submit(batch) });
      if (inFlight.length >= options.workers * 4) await replayOldest();
    }
    while (inFlight.length) await replayOldest();
    return verifier.report();
  } finally {
    await pool.close();
  }
}

function replayLine(verifier: LogVerifier, v: LineVerdicts, pool: VerdictPool): void {
  if (v.text === null) {
    verifier.addLineBytes(v.raw!); // blank or malformed: the verifier's own handling and message
    return;
  }
  const value = JSON.parse(v.text) as Envelope; // the worker parsed this text strictly already
  adoptEnvelopeForms(value, adoptedForms(value, v.hash));
  const hints: AddHints = {};
  if (v.signKey !== null) {
    const { signKey, signatureOk } = v;
    hints.verifySignature = (env, key) => (key === signKey ? signatureOk : verifyEnvelopeSignature(env, key));
  }
  if (v.opened !== null) hints.opened = openedResult(v.opened);
  verifier.add(value, hints);
  // Tell every worker about keys this event claims, so lines in other batches find them.
  const claimed = claimedKeysOf(value);
  if (claimed) pool.broadcast({ kind: 'keys', ...claimed });
}

/** The worker's hash; the signing input only if the replay must verify itself (another key). */
function adoptedForms(env: Envelope, hash: string): EnvelopeForms {
  let input: Buffer | undefined;
  return {
    hash,
    get signingInput() {
      return (input ??= signingInput(env));
    },
  };
}

function workerScript(): string {
  const here = join(__dirname, 'audit.worker.js');
  if (existsSync(here)) return here;
  // Under ts-jest this module runs from src/: the compiled worker is in dist/ (npm test builds it).
  const built = resolve(__dirname, '..', '..', 'dist', 'src', 'audit', 'audit.worker.js');
  if (existsSync(built)) return built;
  throw new Error(`the audit worker is not built (${built}); run npm run build`);
}

/** Worker threads answering batches in the order each received them. */
class VerdictPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (r: WorkerResponse) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(size: number, init: WorkerInit) {
    const script = workerScript();
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(script, { workerData: init });
      w.on('message', (res: WorkerResponse) => {
        const waiter = this.pending.get(res.id);
        this.pending.delete(res.id);
        waiter?.resolve(res);
      });
      w.on('error', (err) => this.fail(err));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`an audit worker stopped with code ${code}`));
      });
      return w;
    });
  }

  submit(batch: Buffer): Promise<WorkerResponse> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const bytes = new Uint8Array(batch); // its own buffer, moved to the worker rather than copied again
    const msg: WorkerRequest = { kind: 'batch', id, bytes };
    const result = new Promise<WorkerResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[id % this.workers.length].postMessage(msg, [bytes.buffer]);
    });
    // A batch still out when the audit stops early is never awaited: not an unhandled rejection.
    result.catch(() => {});
    return result;
  }

  broadcast(msg: WorkerRequest): void {
    for (const w of this.workers) w.postMessage(msg);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the audit pool is closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
