/** requests.json: our signer reproduces every signed request byte for byte, and our verifier accepts it. */
import {
  b64uDecode,
  ed25519Signer,
  fingerprint,
  parleyPolicyProblem,
  parseSignature,
  signRequest,
  verifySignature,
} from '../../src/protocol';
import { loadEnvelopeVectors, loadRequestVectors } from '../support/vectors';

const requests = loadRequestVectors();
const identities = loadEnvelopeVectors().identities;
const name = requests.identity.split(' ')[0];
const identity = identities[name];

describe('requests.json', () => {
  it('keyid is the fingerprint of the signing identity', () => {
    expect(identity).toBeDefined();
    expect(fingerprint(identity)).toBe(requests.keyid);
  });

  describe.each(requests.cases.map((c) => [c.name, c]))('%s', (_name, c) => {
    it('signs to exactly the vector headers', () => {
      const headers = signRequest({
        method: c.method,
        target: c.path,
        body: c.body,
        keyid: requests.keyid,
        signer: ed25519Signer(b64uDecode(identity.signSeed, 32)!),
        created: c.created,
        nonce: c.nonce,
      });
      expect(headers).toEqual(c.headers);
    });

    it('parses to the exact signature base, verifies, and meets the policy', () => {
      const parsed = parseSignature({ method: c.method, target: c.path, headers: c.headers });
      expect(parsed.base).toBe(c.signatureBase);
      expect(parsed).toMatchObject({ keyid: requests.keyid, created: c.created, nonce: c.nonce, alg: 'ed25519' });
      expect(verifySignature(parsed, identity.signKey)).toBe(true);
      const body = c.body === undefined ? undefined : Buffer.from(c.body);
      expect(parleyPolicyProblem(parsed, body, c.headers['content-digest'])).toBeNull();
    });

    it('fails for another method, path or key', () => {
      const other = parseSignature({ method: c.method === 'GET' ? 'POST' : 'GET', target: c.path, headers: c.headers });
      expect(verifySignature(other, identity.signKey)).toBe(false);
      const moved = parseSignature({ method: c.method, target: c.path + (c.path.includes('?') ? '&x=1' : '?x=1'), headers: c.headers });
      expect(verifySignature(moved, identity.signKey)).toBe(false);
      const stranger = Object.values(identities).find((i) => i.signKey !== identity.signKey)!;
      expect(verifySignature(parseSignature({ method: c.method, target: c.path, headers: c.headers }), stranger.signKey)).toBe(false);
    });
  });
});
