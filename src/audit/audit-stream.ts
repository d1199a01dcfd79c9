/**
 * Audits an NDJSON byte stream with bounded memory. This thread parses each batch of lines
 * strictly (with the canonical forms) and looks up the key each envelope's sender claims;
 * worker threads verify those signatures (and open the reader's bodies) meanwhile; then
 * this thread replays the batch in input order through the one LogVerifier, which takes a
 * worker's verdict only for the very key the channel state names. The report is the same
 * for any number of workers, 0 (everything in this thread) included.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AddHints, b64uDecode, Body, envelopeForms, LogReport, LogVerifier, OpenResult, parseEnvelopeBytes, verifyEnvelopeSignature } from '../protocol';
import type { Envelope } from '../protocol';
import { ClaimedKeys } from './claimed-keys';
import { lineBatches, splitLines } from './line-batches';
import type { SignatureJob, SignatureVerdicts, WorkerInit } from './signature.worker';

export interface AuditProgress {
  /** Non-empty lines replayed so far. */
  lines: number;
  /** Input bytes replayed so far. */
  bytes: number;
  /** Signatures whose worker verdict the replay took. */
  workerVerdicts: number;
  /** Signatures the replay verified itself: no worker checked the key the channel names. */
  selfVerified: number;
}

export interface AuditStreamOptions {
  /** Worker threads for the signature checks; 0 does everything in this thread. */
  workers: number;
  /** Open and check every body addressed to this participant (an auditor under `auditorsRead`). */
  reader?: { id: string; boxSecret: string };
  /** The stream is this one channel's (VerifierOptions.channel): a line naming another is `wrong_channel`. */
  channel?: string;
  /** VerifierOptions.pins: seqs whose verified hashes the report's channel summaries give. */
  pins?: ReadonlyMap<string, number>;
  onProgress?: (progress: AuditProgress) => void;
  /** Bytes of lines per batch (tests make it small to spread a short log over the workers). */
  batchBytes?: number;
}

/** One audit: a pool of workers for its duration. */
export async function auditStream(chunks: AsyncIterable<Uint8Array>, options: AuditStreamOptions): Promise<LogReport> {
  const auditor = new StreamAuditor(options);
  try {
    return await auditor.audit(chunks);
  } finally {
    await auditor.close();
  }
}

/** Audits any number of streams with one pool of workers (each audit starts from nothing). */
export class StreamAuditor {
  private readonly pool: SignaturePool | null;

  constructor(private readonly options: AuditStreamOptions) {
    this.pool = options.workers > 0 ? new SignaturePool(options.workers, { reader: options.reader }) : null;
  }

  async audit(chunks: AsyncIterable<Uint8Array>): Promise<LogReport> {
    const { options, pool } = this;
    const verifier = new LogVerifier({ reader: options.reader, channel: options.channel, pins: options.pins });
    const progress: AuditProgress = { lines: 0, bytes: 0, workerVerdicts: 0, selfVerified: 0 };
    const batches = lineBatches(chunks, options.batchBytes);
    if (!pool) {
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
    const claimed = new ClaimedKeys();
    // Up to this many batches are out at the workers while this thread replays the oldest.
    const inFlight: { batch: PreparedBatch; verdicts: Promise<SignatureVerdicts> }[] = [];
    const replayOldest = async () => {
      const { batch, verdicts } = inFlight.shift()!;
      replay(verifier, batch, await verdicts, progress);
      progress.lines += batch.lines.length;
      progress.bytes += batch.bytes;
      options.onProgress?.(progress);
    };
    for await (const bytes of batches) {
      const batch = prepare(bytes, claimed, options.reader?.id);
      inFlight.push({ batch, verdicts: pool.submit(batch.job) });
      if (inFlight.length >= options.workers * 4) await replayOldest();
    }
    while (inFlight.length) await replayOldest();
    return verifier.report();
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}

interface PreparedLine {
  /** The strictly parsed envelope, or null: then `raw` is replayed by the verifier itself (blank or malformed). */
  value: Envelope | null;
  raw: Buffer;
  /** Index of its signature in the job, or -1 when none was sent. */
  sig: number;
  body: number;
}

interface PreparedBatch {
  bytes: number;
  lines: PreparedLine[];
  job: Omit<SignatureJob, 'id'>;
  /** The key each job entry was checked against. */
  jobKeys: string[];
}

const ED25519_KEY_CHARS = 43;
/** The longest line whose body is sent to a worker to open; longer ones' are opened in this thread. */
const WORKER_LINE_BYTES = 1024 * 1024;

function prepare(bytes: Buffer, claimed: ClaimedKeys, readerId: string | undefined): PreparedBatch {
  const lines: PreparedLine[] = [];
  const inputs: Buffer[] = [];
  const sigs: Buffer[] = [];
  const jobKeys: string[] = [];
  const keyIndex = new Map<string, number>();
  const keyOf: number[] = [];
  const bodies: Body[] = [];
  for (const raw of splitLines(bytes)) {
    let value: Envelope | null;
    try {
      value = parseEnvelopeBytes(raw) as Envelope;
    } catch {
      value = null; // blank lines land here too; the verifier skips them as it always does
    }
    const line: PreparedLine = { value, raw, sig: -1, body: -1 };
    lines.push(line);
    if (!value) continue;
    claimed.learn(value);
    const key = typeof value.channel === 'string' && typeof value.sender === 'string' ? claimed.get(value.channel, value.sender) : undefined;
    const sig = typeof value.sig === 'string' ? b64uDecode(value.sig, 64) : null;
    // A claimed key that cannot be an Ed25519 key (43 b64u characters) is not worth a worker's
    // memory: the replay refuses it itself.
    if (key !== undefined && key.length === ED25519_KEY_CHARS && sig) {
      line.sig = keyOf.length;
      let k = keyIndex.get(key);
      if (k === undefined) keyIndex.set(key, (k = keyIndex.size));
      keyOf.push(k);
      jobKeys.push(key);
      inputs.push(envelopeForms(value).signingInput);
      sigs.push(sig);
    }
    // The body of a large line (whatever member makes it large) is opened by the replay here:
    // copied into a worker, it might not fit the small heap that keeps workers lean.
    const small = raw.length <= WORKER_LINE_BYTES;
    if (readerId !== undefined && small && Array.isArray(value.body?.keys) && value.body.keys.some((e) => e?.to === readerId)) {
      line.body = bodies.length;
      bodies.push(value.body);
    }
  }
  const offsets = new Uint32Array(inputs.length + 1);
  for (let i = 0; i < inputs.length; i++) offsets[i + 1] = offsets[i] + inputs[i].length;
  return {
    bytes: bytes.length,
    lines,
    jobKeys,
    job: { inputs: ownedConcat(inputs), offsets, sigs: ownedConcat(sigs), keys: [...keyIndex.keys()], keyOf: Uint32Array.from(keyOf), bodies },
  };
}

/** A concatenation in a buffer of its own (never Node's shared pool), so it can be moved to a worker. */
function ownedConcat(parts: Buffer[]): Buffer {
  const out = Buffer.allocUnsafeSlow(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) at += p.copy(out, at);
  return out;
}

function replay(verifier: LogVerifier, batch: PreparedBatch, verdicts: SignatureVerdicts, counts: AuditProgress): void {
  for (const line of batch.lines) {
    if (!line.value) {
      verifier.addLineBytes(line.raw); // the verifier's own handling and message
      continue;
    }
    const checkedKey = line.sig >= 0 ? batch.jobKeys[line.sig] : null;
    const valid = line.sig >= 0 && verdicts.valid[line.sig] === 1;
    const hints: AddHints = {
      verifySignature: (env, key) => {
        if (key === checkedKey) {
          counts.workerVerdicts++;
          return valid;
        }
        counts.selfVerified++;
        return verifyEnvelopeSignature(env, key);
      },
    };
    if (line.body >= 0) {
      const opened = verdicts.opened[line.body];
      if (opened !== null) hints.opened = openedResult(opened);
    }
    verifier.add(line.value, hints);
  }
}

function openedResult(opened: true | string): OpenResult {
  // The replay needs the verdict only, not the content.
  return opened === true ? { ok: true, content: {}, plaintext: '' } : { ok: false, reason: 'bad_body', message: opened };
}

function workerScript(): string {
  const here = join(__dirname, 'signature.worker.js');
  if (existsSync(here)) return here;
  // Under ts-jest this module runs from src/: the compiled worker is in dist/ (npm test builds it).
  const built = resolve(__dirname, '..', '..', 'dist', 'src', 'audit', 'signature.worker.js');
  if (existsSync(built)) return built;
  throw new Error(`the audit worker is not built (${built}); run npm run build`);
}

/** Worker threads answering jobs; each answers in the order it received them. */
class SignaturePool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (r: SignatureVerdicts) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(size: number, init: WorkerInit) {
    const script = workerScript();
    this.workers = Array.from({ length: size }, () => {
      // A worker keeps almost nothing (imported keys); a small heap makes it collect early,
      // so that the auditor's footprint stays flat however long the log.
      const w = new Worker(script, { workerData: init, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } });
      w.on('message', (res: SignatureVerdicts) => {
        const waiter = this.pending.get(res.id);
        this.pending.delete(res.id);
        waiter?.resolve(res);
      });
      // Its own error, not the worker's: an errno-like code would read as unreadable input.
      w.on('error', (err) => this.fail(new Error(`an audit worker failed: ${err.message} (--workers 0 audits in this thread alone)`)));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`an audit worker stopped with code ${code}`));
      });
      return w;
    });
  }

  submit(job: Omit<SignatureJob, 'id'>): Promise<SignatureVerdicts> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const message: SignatureJob = { id, ...job };
    const result = new Promise<SignatureVerdicts>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // The inputs are this batch's own copies: moved to the worker, not copied again.
      this.workers[id % this.workers.length].postMessage(message, [job.inputs, job.sigs, job.offsets, job.keyOf].map((a) => a.buffer as ArrayBuffer));
    });
    // A batch still out when the audit stops early is never awaited: not an unhandled rejection.
    result.catch(() => {});
    return result;
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
