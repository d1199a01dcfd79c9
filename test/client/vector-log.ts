/** For the SDK specs: the reference vector set's identities and logs as envelopes. */
import type { Envelope } from '../../src/protocol';
import { reference } from '../support/vectors';

export const identities = reference.loadEnvelopeVectors().identities;

export const vectorEvents = (file: string): Envelope[] =>
  reference
    .readLog(file)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
