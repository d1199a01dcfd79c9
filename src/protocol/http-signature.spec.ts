import { ed25519KeyPair, ed25519Signer } from './crypto';
import {
  contentDigest,
  parleyPolicyProblem,
  parseSignature,
  serializeSignatureInput,
  signatureBase,
  signRequest,
  SignatureError,
  verifySignature,
} from './http-signature';
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

  describe('given a request signed by a proxy as well as by the client', () => {
    const keys = ed25519KeyPair();
    const signKey = b64uEncode(keys.publicKey);
    const ours = signRequest({ method: 'GET', target: '/v1/x', keyid: 'k', signer: ed25519Signer(keys.secretKey) });
    const withProxy = (proxyInput: string) => ({
      'signature-input': `${proxyInput}, ${ours['signature-input']}`,
      signature: `proxy=:${Buffer.alloc(64).toString('base64')}:, ${ours.signature}`,
    });

    it('when the proxy\'s label comes first, then the one tagged parley is the one checked', () => {
      const parsed = parseSignature({ method: 'GET', target: '/v1/x', headers: withProxy('proxy=("@method");created=1;keyid="p"') });
      expect(parsed.label).toBe('sig1');
      expect(verifySignature(parsed, signKey)).toBe(true);
    });

    it('when no label is tagged parley, then sig1 is the one checked', () => {
      const untagged = signRequest({ method: 'GET', target: '/v1/x', keyid: 'k', signer: ed25519Signer(keys.secretKey) });
      const input = untagged['signature-input'].replace(';tag="parley"', '');
      const base = signatureBase({ method: 'GET', target: '/v1/x' }, ['@method', '@path', '@query'], input.slice('sig1='.length));
      const headers = {
        'signature-input': `proxy=("@method");keyid="p", ${input}`,
        signature: `proxy=:${Buffer.alloc(64).toString('base64')}:, sig1=:${ed25519Signer(keys.secretKey)(Buffer.from(base)).toString('base64')}:`,
      };
      const parsed = parseSignature({ method: 'GET', target: '/v1/x', headers });
      expect({ label: parsed.label, tag: parsed.tag }).toEqual({ label: 'sig1', tag: null });
      expect(verifySignature(parsed, signKey)).toBe(true);
    });

    it('when the proxy\'s signature is tagged for another application, then the policy refuses it if it is the one chosen', () => {
      const h = { 'signature-input': 'other=("@method" "@path" "@query");created=1;nonce="n";keyid="p";tag="other-app"', signature: 'other=:AA==:' };
      const parsed = parseSignature({ method: 'GET', target: '/v1/x', headers: h });
      expect(parleyPolicyProblem(parsed, undefined, undefined)).toBe('tag must be "parley"');
    });
  });

  describe('given derived components a client may add to those Parley requires', () => {
    const keys = ed25519KeyPair();
    const signKey = b64uEncode(keys.publicKey);
    const components = ['@method', '@authority', '@scheme', '@target-uri', '@path', '@query'];
    const params = serializeSignatureInput(components, { created: 1700000000, nonce: 'n', keyid: 'k', alg: 'ed25519', tag: 'parley' });
    const signedFor = (req: { target: string; authority?: string; scheme?: string }) => {
      const base = signatureBase({ method: 'GET', ...req }, components, params);
      return { 'signature-input': `sig1=${params}`, signature: `sig1=:${ed25519Signer(keys.secretKey)(Buffer.from(base)).toString('base64')}:` };
    };

    it('then @authority, @scheme and @target-uri are the request\'s own, the default port left out', () => {
      const headers = signedFor({ target: '/v1/x?a=1', authority: 'parley.example', scheme: 'https' });
      const parsed = parseSignature({ method: 'GET', target: '/v1/x?a=1', headers, authority: 'Parley.Example:443', scheme: 'https' });
      expect(parsed.base.split('\n').slice(1, 4)).toEqual([
        '"@authority": parley.example',
        '"@scheme": https',
        '"@target-uri": https://parley.example/v1/x?a=1',
      ]);
      expect(verifySignature(parsed, signKey)).toBe(true);
    });

    it('when the request went to another host, then it does not verify', () => {
      const headers = signedFor({ target: '/v1/x', authority: 'parley.example', scheme: 'https' });
      expect(verifySignature(parseSignature({ method: 'GET', target: '/v1/x', headers, authority: 'other.example', scheme: 'https' }), signKey)).toBe(false);
    });

    it('when the target is in absolute form, then authority and scheme are its own', () => {
      const headers = signedFor({ target: '/v1/x', authority: 'parley.example:8443', scheme: 'https' });
      const parsed = parseSignature({ method: 'GET', target: 'https://parley.example:8443/v1/x', headers, authority: 'ignored.example', scheme: 'http' });
      expect(parsed.base).toContain('"@authority": parley.example:8443\n"@scheme": https\n"@target-uri": https://parley.example:8443/v1/x\n');
    });

    it('when the server cannot know them, then it says so', () => {
      expect(() => parseSignature({ method: 'GET', target: '/v1/x', headers: signedFor({ target: '/v1/x', authority: 'a', scheme: 'http' }) })).toThrow(
        new SignatureError('@authority is not known'),
      );
    });
  });

  it.each([
    ['alg as a token', 'alg=ed25519', 'alg must be a string'],
    ['nonce as a token', 'nonce=abc', 'nonce must be a string'],
    ['keyid as a number', 'keyid=7', 'keyid must be a string'],
    ['tag as a token', 'tag=parley', 'tag must be a string'],
    ['expires as a decimal', 'expires=1700000300.0', 'expires must be an integer'],
    ['expires as a string', 'expires="1700000300"', 'expires must be an integer'],
  ])('refuses %s: parameters have the types of RFC 9421 §2.3', (_name, param, message) => {
    const headers = { 'signature-input': `sig1=("@method");created=1700000000;${param}`, signature: 'sig1=:AA==:' };
    expect(() => parseSignature({ method: 'GET', target: '/', headers })).toThrow(new SignatureError(message));
  });

  it('reads expires when the signer set one', () => {
    const headers = { 'signature-input': 'sig1=("@method");created=1700000000;expires=1700000060', signature: 'sig1=:AA==:' };
    expect(parseSignature({ method: 'GET', target: '/', headers }).expires).toBe(1700000060);
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
