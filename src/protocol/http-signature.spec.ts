import { ed25519KeyPair, ed25519Signer } from './crypto';
import { contentDigest, parleyPolicyProblem, parseSignature, signRequest, SignatureError, verifySignature } from './http-signature';
import { b64uEncode } from './encoding';

// RFC 9421 Appendix B.1.4 test key and the B.2.6 example request (ed25519).
const RFC_KEY = 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs';
const RFC_REQUEST = {
  method: 'POST',
  target: '/foo?param=Value&Pet=dog',
  authority: 'example.com',
  headers: {
    date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'content-type': 'application/json',
    'content-length': '18',
    'signature-input':
      'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    signature:
      'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
  },
};

describe('RFC 9421 HTTP message signatures', () => {
  it('verifies RFC 9421 Appendix B.2.6 (ed25519) with its signature base', () => {
    const parsed = parseSignature(RFC_REQUEST);
    expect(parsed.base).toBe(
      [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@method": POST',
        '"@path": /foo',
        '"@authority": example.com',
        '"content-type": application/json',
        '"content-length": 18',
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
      ].join('\n'),
    );
    expect(verifySignature(parsed, RFC_KEY)).toBe(true);
    // …and it is not Parley's policy: no nonce, no @query.
    expect(parleyPolicyProblem(parsed, undefined, undefined)).toBe('nonce is required');
  });

  it('refuses the B.2.6 request once a covered header changes', () => {
    const tampered = { ...RFC_REQUEST, headers: { ...RFC_REQUEST.headers, 'content-length': '19' } };
    expect(verifySignature(parseSignature(tampered), RFC_KEY)).toBe(false);
  });

  describe('given a Parley-signed POST', () => {
    const keys = ed25519KeyPair();
    const signKey = b64uEncode(keys.publicKey);
    const body = '{"a":1}';
    const headers = signRequest({ method: 'POST', target: '/v1/x?y=1', body, keyid: 'k', signer: ed25519Signer(keys.secretKey) });

    it('then it verifies and meets the policy', () => {
      const parsed = parseSignature({ method: 'POST', target: '/v1/x?y=1', headers });
      expect(verifySignature(parsed, signKey)).toBe(true);
      expect(parleyPolicyProblem(parsed, Buffer.from(body), headers['content-digest'])).toBeNull();
    });

    it('when it arrives with an absolute-form target, then @path and @query are the same, and it verifies', () => {
      const parsed = parseSignature({ method: 'POST', target: 'http://parley.example/v1/x?y=1', headers });
      expect(parsed.base).toContain('"@path": /v1/x\n');
      expect(verifySignature(parsed, signKey)).toBe(true);
    });

    it('when the body differs, then the digest check refuses it', () => {
      const parsed = parseSignature({ method: 'POST', target: '/v1/x?y=1', headers });
      expect(parleyPolicyProblem(parsed, Buffer.from('{"a":2}'), headers['content-digest'])).toBe(
        'content-digest does not match the body',
      );
      expect(contentDigest('{"a":2}')).not.toBe(headers['content-digest']);
    });

    it('when the nonce is longer than 128 characters, then the policy refuses it; 128 pass', () => {
      const sign = (nonce: string) =>
        parseSignature({ method: 'POST', target: '/v1/x?y=1', headers: signRequest({ method: 'POST', target: '/v1/x?y=1', body, keyid: 'k', nonce, signer: ed25519Signer(keys.secretKey) }) });
      expect(parleyPolicyProblem(sign('n'.repeat(128)), Buffer.from(body), headers['content-digest'])).toBeNull();
      expect(parleyPolicyProblem(sign('n'.repeat(129)), Buffer.from(body), headers['content-digest'])).toBe('nonce must be at most 128 characters');
    });

    it('when alg is not ed25519, then the policy refuses it', () => {
      const h = { ...headers, 'signature-input': headers['signature-input'].replace('alg="ed25519"', 'alg="rsa-pss-sha512"') };
      expect(parleyPolicyProblem(parseSignature({ method: 'POST', target: '/v1/x?y=1', headers: h }), Buffer.from(body), headers['content-digest'])).toBe(
        'alg must be ed25519',
      );
    });
  });

  it.each([
    ['no headers', {}],
    ['garbage', { 'signature-input': '((', signature: 'sig1=:AA==:' }],
    ['label mismatch', { 'signature-input': 'a=("@method")', signature: 'b=:AA==:' }],
    ['signature not bytes', { 'signature-input': 'sig1=("@method")', signature: 'sig1="x"' }],
    ['duplicate component', { 'signature-input': 'sig1=("@method" "@method")', signature: 'sig1=:AA==:' }],
    ['created as a decimal', { 'signature-input': 'sig1=("@method");created=1700000000.0', signature: 'sig1=:AA==:' }],
    ['created as a decimal, after a space', { 'signature-input': 'sig1=("@method"); created=1700000000.5;nonce="n"', signature: 'sig1=:AA==:' }],
  ])('rejects %s with a SignatureError', (_name, headers) => {
    expect(() => parseSignature({ method: 'GET', target: '/', headers })).toThrow(SignatureError);
  });

  it.each([
    ['a nonce that reads like a decimal created', 'sig1=("@method");created=1700000000;nonce="a;created=1.5"'],
    ['another label with a decimal created', 'old=("@method");created=1.5, sig1=("@method");created=1700000000'],
  ])('takes an integer created as such beside %s', (_name, input) => {
    expect(parseSignature({ method: 'GET', target: '/', headers: { 'signature-input': input, signature: 'sig1=:AA==:' } }).created).toBe(1700000000);
  });
});
