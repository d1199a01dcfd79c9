import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { b64uDecode, b64uEncode, sha256Hex } from './encoding';
import { boxBeforeNm, ed25519KeyPair, ed25519Signer, ed25519Verify, x25519KeyPair, x25519PrivateKey } from './crypto';
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
