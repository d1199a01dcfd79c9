/**
 * The primitives of parley/v1. Ed25519 and X25519 run natively through node:crypto
 * (tweetnacl's pure-JS Ed25519 is ~80x slower); NaCl's XSalsa20-Poly1305 formats
 * (secretbox, and crypto_box after the key agreement) come from tweetnacl. Keys and
 * signatures are byte-for-byte those of tweetnacl's `sign` and `box`.
 */
import {
  KeyObject,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import nacl from 'tweetnacl';
import { b64uDecode, b64uEncode } from './encoding';

export type OkpCurve = 'Ed25519' | 'X25519';

/*
 * Keys are imported from their raw 32 bytes as JWK, never as DER (OpenSSL 3 decodes DER about
 * 8x slower: ~200 µs a public key, ~700 µs a private one, against ~25 and ~80), and never come
 * from generateKeyPairSync: Node 20 destroys the finished key-generation job during a later
 * garbage collection, and its destructor takes the generated key's mutex — if that collection
 * runs while the same key is being exported (export holds the mutex while it allocates), the
 * thread waits on itself for ever. Seen here as a hang in sealBody (generateKeyPairSync, then
 * export) about once in 100,000 seals; a fresh key is random bytes imported instead.
 */
function importPrivate(crv: OkpCurve, secret: Uint8Array): KeyObject {
  // Node reads only `d` of a private OKP JWK (it requires `x` to be a string, and ignores it).
  return createPrivateKey({ key: { kty: 'OKP', crv, d: b64uEncode(secret), x: '' }, format: 'jwk' });
}

/**
 * Imported public keys, by curve and then by their b64u text. Importing costs about a third
 * of a verify, and a channel's few keys verify every event, so they are kept (bounded, oldest
 * first out). One map per curve: the same 32 bytes may be named as both kinds of key (anyone
 * can put a known sign key in an `epk`), and must then be imported as each.
 */
const MAX_CACHED_KEYS = 10_000;
const publicKeysByCurve: Record<OkpCurve, Map<string, KeyObject>> = { Ed25519: new Map(), X25519: new Map() };

/*
 * Public keys of small order, as libsodium refuses them (ge25519_has_small_order and
 * crypto_scalarmult_curve25519's has_small_order): every encoding of a point in the
 * torsion subgroup, canonical or not, the top bit ignored. No key pair has one. An Ed25519
 * signature under one can be made without any secret (the identity key with R = identity
 * and S = 0 verifies for every message, and OpenSSL accepts it); anything boxed to a
 * low-order X25519 key is sealed under a shared key everyone can compute.
 */
const P_MINUS_1 = 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f';
const P = 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f';
const P_PLUS_1 = 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f';
const ZERO = '00'.repeat(32);
const ONE = '01' + '00'.repeat(31);
const SMALL_ORDER: Record<OkpCurve, Buffer[]> = {
  Ed25519: [
    ZERO,
    ONE,
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    P_MINUS_1,
    P,
    P_PLUS_1,
  ].map((h) => Buffer.from(h, 'hex')),
  X25519: [
    ZERO,
    ONE,
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    P_MINUS_1,
    P,
    P_PLUS_1,
  ].map((h) => Buffer.from(h, 'hex')),
};

/** Whether raw 32-byte public key bytes are a point of small order on `crv` (see SMALL_ORDER). */
export function isSmallOrder(raw: Uint8Array, crv: OkpCurve): boolean {
  return SMALL_ORDER[crv].some((bad) => {
    for (let i = 0; i < 31; i++) if (raw[i] !== bad[i]) return false;
    return (raw[31] & 0x7f) === bad[31];
  });
}

/** Whether b64u text is a public key of `crv` that a key pair can have: 32 bytes, not of small order. */
export function isUsablePublicKey(b64u: string, crv: OkpCurve): boolean {
  return cachedPublicKey(b64u, crv) !== null;
}

function cachedPublicKey(b64u: string, crv: OkpCurve): KeyObject | null {
  const publicKeys = publicKeysByCurve[crv];
  const hit = publicKeys.get(b64u);
  if (hit) return hit;
  const raw = b64uDecode(b64u, 32); // canonical b64u of 32 bytes, as the JWK needs
  if (!raw || isSmallOrder(raw, crv)) return null;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv, x: b64u }, format: 'jwk' });
  } catch {
    return null;
  }
  if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.delete(publicKeys.keys().next().value!);
  publicKeys.set(b64u, key);
  return key;
}

export function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  return importPrivate('Ed25519', seed);
}

export function x25519PrivateKey(secret: Uint8Array): KeyObject {
  return importPrivate('X25519', secret);
}

/** The raw 32-byte public key of a private key object. */
export function rawPublic(key: KeyObject): Buffer {
  return Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x as string, 'base64url');
}

export interface RawKeyPair {
  publicKey: Buffer;
  secretKey: Buffer; // Ed25519: the 32-byte seed; X25519: the 32-byte scalar
}

export function ed25519KeyPair(seed: Uint8Array = randomBytes(32)): RawKeyPair {
  return { publicKey: rawPublic(ed25519PrivateKey(seed)), secretKey: Buffer.from(seed) };
}

export function x25519KeyPair(secret: Uint8Array = randomBytes(32)): RawKeyPair {
  return { publicKey: rawPublic(x25519PrivateKey(secret)), secretKey: Buffer.from(secret) };
}

/** A signer: the private key imported once. */
export type Signer = (message: Uint8Array) => Buffer;

export function ed25519Signer(seed: Uint8Array): Signer {
  const key = ed25519PrivateKey(seed);
  return (message) => nodeSign(null, message, key);
}

/** The imported Ed25519 public key of its b64u text (cached), or null if it is not one. */
export function ed25519PublicKey(b64u: string): KeyObject | null {
  return cachedPublicKey(b64u, 'Ed25519');
}

/** Verifies an Ed25519 signature with a b64u public key; false for any malformed input. */
export function ed25519Verify(publicKeyB64u: string, message: Uint8Array, signature: Uint8Array): boolean {
  const key = ed25519PublicKey(publicKeyB64u);
  if (!key || signature.length !== 64) return false;
  // R of small order: no honest signer makes one (R = rB), and libsodium refuses it while
  // OpenSSL and tweetnacl accept it (the identity with S = k·a). Refused, so that no log this
  // code accepts fails a libsodium-based verifier.
  if (isSmallOrder(signature.subarray(0, 32), 'Ed25519')) return false;
  try {
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

// tweetnacl's typings omit `lowlevel`, which the library does export.
const { crypto_core_hsalsa20 } = (nacl as unknown as {
  lowlevel: { crypto_core_hsalsa20(out: Uint8Array, inp: Uint8Array, k: Uint8Array, c: Uint8Array): number };
}).lowlevel;

const HSALSA_ZERO = new Uint8Array(16);
const SIGMA = new Uint8Array([101, 120, 112, 97, 110, 100, 32, 51, 50, 45, 98, 121, 116, 101, 32, 107]); // "expand 32-byte k"

/**
 * NaCl crypto_box_beforenm with a native X25519: HSalsa20(X25519(secret, public), 0).
 * Throws when the peer key is not a usable X25519 key (OpenSSL refuses low-order points).
 */
export function boxBeforeNm(peerPublicB64u: string, ownSecret: KeyObject): Uint8Array {
  const peer = cachedPublicKey(peerPublicB64u, 'X25519');
  if (!peer) throw new Error('not an X25519 public key');
  const shared = diffieHellman({ privateKey: ownSecret, publicKey: peer });
  const k = new Uint8Array(32);
  crypto_core_hsalsa20(k, HSALSA_ZERO, shared, SIGMA);
  return k;
}

export const secretbox = nacl.secretbox;
export { randomBytes };
