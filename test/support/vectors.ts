/**
 * Two uses of vector sets:
 * - the set named by PARLEY_VECTORS_DIR (default ../shared/vectors): the vector suites check
 *   whatever it holds, naming none of its files or contents (the loaders exported bare);
 * - the reference set, always ../shared/vectors: fixture data for the SDK, projection and
 *   service tests that name its ids, texts and seqs (`reference`). Pointing
 *   PARLEY_VECTORS_DIR at a further set leaves these fixtures as they are.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REFERENCE_DIR = resolve(process.cwd(), '../shared/vectors');
export const VECTORS_DIR = resolve(process.cwd(), process.env.PARLEY_VECTORS_DIR ?? REFERENCE_DIR);

export interface VectorIdentity {
  signSeed: string;
  boxSecret: string;
  signKey: string;
  boxKey: string;
  fingerprint: string;
}

export interface EnvelopeVectors {
  protocol: string;
  identities: Record<string, VectorIdentity>;
  participants: { channel: string; participant: any; fingerprint: string; proofInput: string }[];
  envelopes: {
    name: string;
    envelope: any;
    signingInput: string;
    hash: string;
    signKey?: string | null;
    open?: { as: string; content: Record<string, unknown> };
    closedTo?: string;
  }[];
  canonical: { input: string; canonical: string }[];
  strictRejects: string[];
}

export interface LogExpectation {
  file: string;
  ok: boolean;
  events?: number;
  head?: string;
  open?: string[];
  reunited?: string[];
  withdrawn?: string[];
  agreed?: string[];
  seq?: number | null;
  code?: string;
}

export interface RequestVectors {
  identity: string;
  keyid: string;
  cases: {
    name: string;
    method: string;
    path: string;
    body?: string;
    created: number;
    nonce: string;
    signatureBase: string;
    headers: Record<string, string>;
  }[];
}

function vectorSet(dir: string) {
  const read = (name: string): string => {
    const file = join(dir, name);
    if (!existsSync(file)) throw new Error(`vector file ${file} is missing (${dir === REFERENCE_DIR ? 'the reference set' : `PARLEY_VECTORS_DIR=${dir}`})`);
    return readFileSync(file, 'utf8');
  };
  const json = <T>(name: string): T => JSON.parse(read(name)) as T;
  return {
    loadEnvelopeVectors: () => json<EnvelopeVectors>('envelopes.json'),
    loadRequestVectors: () => json<RequestVectors>('requests.json'),
    loadLogExpectations: () => json<LogExpectation[]>(join('logs', 'expected.json')),
    logPath: (file: string) => join(dir, 'logs', file),
    readLog: (file: string) => read(join('logs', file)),
  };
}

/**
 * The channel of a log's last event. The logs README gives a valid log's `head` as "the hash
 * of its last event"; in a log of several channels interleaved, that is the head of the last
 * line's channel.
 */
export function lastChannel(log: string): string {
  const lines = log.split('\n').filter((line) => line.trim() !== '');
  return (JSON.parse(lines[lines.length - 1]) as { channel: string }).channel;
}

export const { loadEnvelopeVectors, loadRequestVectors, loadLogExpectations, logPath, readLog } = vectorSet(VECTORS_DIR);

/** The reference set's negotiation, whose contents fixture tests name. */
export const reference = { ...vectorSet(REFERENCE_DIR), validLog: 'valid-negotiation.ndjson' };
