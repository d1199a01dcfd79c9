import { createHash, createPublicKey, diffieHellman, randomBytes, verify as nodeVerify } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { b64uDecode, b64uEncode, sha256Hex } from './encoding';
import {
  boxBeforeNm,
  ed25519KeyPair,
  ed25519Signer,
  ed25519Verify,
  isSmallOrder,
  isUsablePublicKey,
  x25519KeyPair,
  x25519PrivateKey,
} from './crypto';
import { generateIdentity } from './keys';
import { openBody, sealBody } from './envelope';

describe('node:crypto keys and signatures are tweetnacl-compatible', () => {
  const seed = nacl.randomBytes(32);

  it('given a seed, then the Ed25519 public key equals nacl.sign.keyPair.fromSeed', () => {
    expect(ed25519KeyPair(seed).publicKey.equals(Buffer.from(nacl.sign.keyPair.fromSeed(seed).publicKey))).toBe(true);
  });

  it('given a message, then our signature verifies with nacl and nacl’s with ours', () => {
    const msg = Buffer.from('parley');
    const ours = ed25519Signer(seed)(msg);
    const kp = nacl.sign.keyPair.fromSeed(seed);
    expect(nacl.sign.detached.verify(msg, ours, kp.publicKey)).toBe(true);
    expect(ed25519Verify(b64uEncode(kp.publicKey), msg, nacl.sign.detached(msg, kp.secretKey))).toBe(true);
    expect(ed25519Verify(b64uEncode(kp.publicKey), Buffer.from('other'), ours)).toBe(false);
  });

  it('given an X25519 secret, then the public key and the box key agreement equal tweetnacl’s', () => {
    const a = nacl.box.keyPair();
    const b = x25519KeyPair();
    expect(x25519KeyPair(a.secretKey).publicKey.equals(Buffer.from(a.publicKey))).toBe(true);
    const ours = boxBeforeNm(b64uEncode(b.publicKey), x25519PrivateKey(a.secretKey));
    expect(Buffer.from(ours).equals(Buffer.from(nacl.box.before(b.publicKey, a.secretKey)))).toBe(true);
  });

  it('given a sealed body, then a recipient opens its key with nacl.box.open', () => {
    const me = generateIdentity();
    const body = sealBody({ text: 'hello' }, [{ id: 'me', boxKey: me.boxKey }]);
    const [entry] = body.keys;
    const k = nacl.box.open(b64uDecode(entry.key)!, b64uDecode(entry.nonce)!, b64uDecode(body.epk)!, b64uDecode(me.boxSecret)!);
    expect(k).not.toBeNull();
    expect(openBody(body, { id: 'me', boxSecret: me.boxSecret })).toMatchObject({ ok: true, content: { text: 'hello' } });
  });

  it('given our sources, then no key comes from generateKeyPairSync (Node 20 can deadlock exporting such a key; see crypto.ts)', () => {
    const root = join(__dirname, '..');
    const offenders = (readdirSync(root, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
      .filter((f) => /generateKeyPair(Sync)?\(/.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('given fresh key pairs, then each is new and its public key is the one its secret derives', () => {
    const [a, b] = [x25519KeyPair(), x25519KeyPair()];
    expect(a.secretKey.equals(b.secretKey)).toBe(false);
    expect(Buffer.from(nacl.box.keyPair.fromSecretKey(a.secretKey).publicKey).equals(a.publicKey)).toBe(true);
    const e = ed25519KeyPair();
    expect(Buffer.from(nacl.sign.keyPair.fromSeed(e.secretKey).publicKey).equals(e.publicKey)).toBe(true);
  });

  it('given a sign key first used as an X25519 key (an epk, say), then it still verifies signatures, and the reverse', () => {
    const signer = nacl.sign.keyPair.fromSeed(nacl.randomBytes(32));
    const msg = Buffer.from('parley');
    const sig = nacl.sign.detached(msg, signer.secretKey);
    const signKey = b64uEncode(signer.publicKey);
    const mine = nacl.box.keyPair();
    boxBeforeNm(signKey, x25519PrivateKey(mine.secretKey));
    expect(ed25519Verify(signKey, msg, sig)).toBe(true);
    const expected = Buffer.from(nacl.box.before(signer.publicKey, mine.secretKey));
    expect(Buffer.from(boxBeforeNm(signKey, x25519PrivateKey(mine.secretKey))).equals(expected)).toBe(true);
  });

  it('given malformed public keys, then verification is false, not an exception', () => {
    expect(ed25519Verify('not-a-key', Buffer.from('m'), Buffer.alloc(64))).toBe(false);
    expect(() => boxBeforeNm('AAAA', x25519PrivateKey(nacl.randomBytes(32)))).toThrow();
  });
});

describe('public keys of small order', () => {
  const withTopBit = (raw: Buffer) => Buffer.concat([raw.subarray(0, 31), Buffer.from([raw[31] | 0x80])]);
  // Every point of the torsion subgroup, in each encoding (DESIGN.md 1.2: no key pair has one).
  const ed25519Small = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000000',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ].flatMap((h) => [Buffer.from(h, 'hex'), withTopBit(Buffer.from(h, 'hex'))]);

  it('given the identity as a sign key, then OpenSSL alone verifies a secretless "signature" of any message, and ed25519Verify refuses it', () => {
    const identityPoint = Buffer.from('01' + '00'.repeat(31), 'hex');
    const identity = b64uEncode(identityPoint);
    const forged = Buffer.concat([identityPoint, Buffer.alloc(32)]); // R = identity, S = 0
    const msg = randomBytes(40);
    const openssl = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: identity }, format: 'jwk' });
    expect(nodeVerify(null, msg, openssl, forged)).toBe(true);
    expect(ed25519Verify(identity, msg, forged)).toBe(false);
  });

  it('given an honest key signing with R = the identity (S = k·a), then OpenSSL and tweetnacl accept it, and ed25519Verify refuses it as libsodium does', () => {
    // No honest signer makes such an R (R = rB); one who does makes a signature some verifiers
    // accept and others refuse, so that a log this server stored could fail a libsodium audit.
    // (The identity is the one small-order R that cofactorless verification can accept: with
    // any other, R + [k]A is not a multiple of B, and OpenSSL refuses it already.)
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    const le = (b: Uint8Array) => b.reduceRight((x, byte) => (x << 8n) | BigInt(byte), 0n);
    const toLe = (x: bigint) => Buffer.from(Array.from({ length: 32 }, (_, i) => Number((x >> BigInt(8 * i)) & 255n)));
    const seed = randomBytes(32);
    const { publicKey } = ed25519KeyPair(seed);
    const h = createHash('sha512').update(seed).digest();
    h[0] &= 248;
    h[31] &= 127;
    h[31] |= 64;
    const a = le(h.subarray(0, 32));
    const msg = randomBytes(100);
    for (const R of [Buffer.from('01' + '00'.repeat(31), 'hex'), withTopBit(Buffer.from('01' + '00'.repeat(31), 'hex'))]) {
      const k = le(createHash('sha512').update(R).update(publicKey).update(msg).digest()) % L;
      const sig = Buffer.concat([R, toLe((k * a) % L)]);
      if (R[31] === 0) {
        expect(nodeVerify(null, msg, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64uEncode(publicKey) }, format: 'jwk' }), sig)).toBe(true);
        expect(nacl.sign.detached.verify(msg, sig, publicKey)).toBe(true);
      }
      expect(ed25519Verify(b64uEncode(publicKey), msg, sig)).toBe(false);
    }
  });

  it('given each small-order encoding as a sign key, then it is not usable, and a random key is', () => {
    for (const raw of ed25519Small) {
      expect(isSmallOrder(raw, 'Ed25519')).toBe(true);
      expect(isUsablePublicKey(b64uEncode(raw), 'Ed25519')).toBe(false);
    }
    expect(isUsablePublicKey(b64uEncode(nacl.sign.keyPair().publicKey), 'Ed25519')).toBe(true);
  });

  it('given each X25519 key of small order, then OpenSSL cannot agree a key with it (the shared secret is zero), and it is not usable; random keys are', () => {
    const own = x25519PrivateKey(nacl.randomBytes(32));
    const small = [
      '0000000000000000000000000000000000000000000000000000000000000000',
      '0100000000000000000000000000000000000000000000000000000000000000',
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    ].flatMap((h) => [Buffer.from(h, 'hex'), withTopBit(Buffer.from(h, 'hex'))]);
    for (const raw of small) {
      const peer = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64uEncode(raw) }, format: 'jwk' });
      expect(() => diffieHellman({ privateKey: own, publicKey: peer })).toThrow();
      expect(isUsablePublicKey(b64uEncode(raw), 'X25519')).toBe(false);
      expect(() => boxBeforeNm(b64uEncode(raw), own)).toThrow('not an X25519 public key');
    }
    for (let i = 0; i < 100; i++) expect(isUsablePublicKey(b64uEncode(randomBytes(32)), 'X25519')).toBe(true);
  });
});

describe('openBody', () => {
  const me = generateIdentity();
  const other = generateIdentity();
  const body = sealBody({ text: 'secret' }, [{ id: 'me', boxKey: me.boxKey }]);

  it('given a non-recipient, then not_recipient', () => {
    expect(openBody(body, { id: 'other', boxSecret: other.boxSecret })).toMatchObject({ ok: false, reason: 'not_recipient' });
  });
  it('given the wrong secret under a recipient id, then bad_body', () => {
    expect(openBody(body, { id: 'me', boxSecret: other.boxSecret })).toMatchObject({ ok: false, reason: 'bad_body' });
  });
  it('given a plaintext that is strict JSON but not canonical, with its commit, then it opens (1.3 opening checks no more)', () => {
    const pt = Buffer.from('{ "text": "secret", "a": 1 }');
    const k = nacl.randomBytes(32);
    const nonce = nacl.randomBytes(24);
    const keyNonce = nacl.randomBytes(24);
    const eph = nacl.box.keyPair();
    const handMade = {
      epk: b64uEncode(eph.publicKey),
      nonce: b64uEncode(nonce),
      box: b64uEncode(nacl.secretbox(pt, nonce, k)),
      commit: sha256Hex('parley/v1/commit\n', k, pt),
      keys: [{ to: 'me', nonce: b64uEncode(keyNonce), key: b64uEncode(nacl.box(k, keyNonce, b64uDecode(me.boxKey)!, eph.secretKey)) }],
    };
    expect(openBody(handMade, { id: 'me', boxSecret: me.boxSecret })).toEqual({ ok: true, content: { text: 'secret', a: 1 }, plaintext: pt.toString() });
  });
  it('given a changed commit, then bad_body', () => {
    expect(openBody({ ...body, commit: '0'.repeat(64) }, { id: 'me', boxSecret: me.boxSecret })).toMatchObject({
      ok: false,
      reason: 'bad_body',
      message: 'commit does not match',
    });
  });
});
