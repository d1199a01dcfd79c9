/** For the SDK specs: the shared vector identities and logs as envelopes. */
import type { Envelope } from '../../src/protocol';
import { loadEnvelopeVectors, readLog } from '../support/vectors';

export const identities = loadEnvelopeVectors().identities;

export const vectorEvents = (file: string): Envelope[] =>
  readLog(file)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
