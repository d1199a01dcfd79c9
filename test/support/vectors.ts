/** Loads the vector set named by PARLEY_VECTORS_DIR (default ../shared/vectors). */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const VECTORS_DIR = resolve(process.cwd(), process.env.PARLEY_VECTORS_DIR ?? '../shared/vectors');

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

function json<T>(name: string): T {
  const file = join(VECTORS_DIR, name);
  if (!existsSync(file)) throw new Error(`vector file ${file} is missing (PARLEY_VECTORS_DIR=${VECTORS_DIR})`);
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export const loadEnvelopeVectors = () => json<EnvelopeVectors>('envelopes.json');
export const loadRequestVectors = () => json<RequestVectors>('requests.json');
export const loadLogExpectations = () => json<LogExpectation[]>(join('logs', 'expected.json'));
export const logPath = (file: string) => join(VECTORS_DIR, 'logs', file);
export const readLog = (file: string) => readFileSync(logPath(file), 'utf8');
