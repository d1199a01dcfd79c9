/**
 * RFC 9421 HTTP Message Signatures with `alg="ed25519"`, as DESIGN.md Part 3 uses them,
 * and RFC 9530 `Content-Digest`. Pure: the client signs with it and the server's guard
 * verifies with it, so both build the signature base from this one function. Structured
 * fields (RFC 8941) are parsed and serialised by the `structured-headers` package.
 * The time window and nonce memory are the server's policy, not this module's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Dictionary, InnerList, Item, parseDictionary, serializeInnerList } from 'structured-headers';
import { ed25519Verify, Signer } from './crypto';

export const SIGNATURE_LABEL = 'sig1';
export const SIGNATURE_TAG = 'parley';
/** The components Parley requires; `content-digest` too when there is a body. */
export const REQUIRED_COMPONENTS = ['@method', '@path', '@query'] as const;

/** RFC 9530 `sha-256=:…:` over the exact body bytes. */
export function contentDigest(body: Uint8Array | string): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

export interface RequestParts {
  method: string;
  /** The request target as sent: path plus `?query` when there is one. */
  target: string;
  /** Header fields by lower-case name (for covered fields such as content-digest). */
  headers?: Record<string, string | undefined>;
  /** For @authority / @scheme / @target-uri. */
  authority?: string;
  scheme?: string;
}

/** An absolute-form target (RFC 9112 §3.2.2, `GET http://host/v1/…`), parsed; null for the usual origin form. */
function absoluteTarget(target: string): URL | null {
  return !target.startsWith('/') && URL.canParse(target) ? new URL(target) : null;
}

function splitTarget(target: string): { path: string; query: string } {
  // @path and @query of an absolute-form target are its path and query all the same (RFC 9421 §2.2.6–7).
  const url = absoluteTarget(target);
  if (url) target = url.pathname + url.search;
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '?' } : { path: target.slice(0, q), query: target.slice(q) };
}

const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };

/**
 * @authority (RFC 9421 §2.2.3): the target's own authority when it is absolute, else the Host
 * the request names; lower case, without the scheme's default port (RFC 9110 §4.2.3).
 */
function authorityOf(req: RequestParts): string {
  const url = absoluteTarget(req.target);
  const authority = (url ? url.host : req.authority)?.toLowerCase();
  if (!authority) throw new SignatureError('@authority is not known');
  const scheme = targetScheme(req);
  const port = scheme === undefined ? undefined : DEFAULT_PORT[scheme];
  return port !== undefined && authority.endsWith(`:${port}`) ? authority.slice(0, -port.length - 1) : authority;
}

/** The scheme of an absolute-form target, else the one the request came by; lower case. */
function targetScheme(req: RequestParts): string | undefined {
  const url = absoluteTarget(req.target);
  return (url ? url.protocol.slice(0, -1) : req.scheme)?.toLowerCase();
}

function schemeOf(req: RequestParts): string {
  const scheme = targetScheme(req);
  if (!scheme) throw new SignatureError('@scheme is not known');
  return scheme;
}

/** The value of one covered component (RFC 9421 §2.1, §2.2). */
function componentValue(name: string, req: RequestParts): string {
  const { path, query } = splitTarget(req.target);
  switch (name) {
    case '@method':
      return req.method.toUpperCase();
    case '@path':
      return path;
    case '@query':
      return query;
    case '@authority':
      return authorityOf(req);
    case '@scheme':
      return schemeOf(req);
    case '@target-uri':
      return absoluteTarget(req.target) ? req.target : `${schemeOf(req)}://${authorityOf(req)}${req.target}`;
    case '@request-target':
      return req.target;
    default: {
      if (name.startsWith('@')) throw new SignatureError(`component ${name} is not supported`);
      const v = req.headers?.[name];
      if (v === undefined) throw new SignatureError(`covered field ${name} is missing`);
      // Obsolete line folding and surrounding whitespace are removed (§2.1).
      return v.replace(/\s*\r?\n\s*/g, ' ').trim();
    }
  }
}

export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

/** The signature base of §2.5: one line per component, then `@signature-params`. */
export function signatureBase(req: RequestParts, components: readonly string[], signatureParams: string): string {
  const lines = components.map((c) => `"${c}": ${componentValue(c, req)}`);
  lines.push(`"@signature-params": ${signatureParams}`);
  return lines.join('\n');
}

export interface SignatureParams {
  created: number;
  nonce: string;
  keyid: string;
  alg?: string;
  tag?: string;
}

/** Serialises the inner list `("c1" "c2");created=…;nonce="…";…` in the order Parley sends. */
export function serializeSignatureInput(components: readonly string[], p: SignatureParams): string {
  const params = new Map<string, string | number>([
    ['created', p.created],
    ['nonce', p.nonce],
    ['keyid', p.keyid],
  ]);
  if (p.alg !== undefined) params.set('alg', p.alg);
  if (p.tag !== undefined) params.set('tag', p.tag);
  const list: InnerList = [components.map((c) => [c, new Map()] as Item), params];
  return serializeInnerList(list);
}

export interface SignRequestInput {
  method: string;
  target: string;
  body?: Uint8Array | string;
  keyid: string;
  signer: Signer;
  created?: number;
  nonce?: string;
}

/** Headers for a Parley-signed request: `signature-input`, `signature`, and `content-digest` with a body. */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const headers: Record<string, string> = {};
  const components: string[] = [...REQUIRED_COMPONENTS];
  if (input.body !== undefined) {
    headers['content-digest'] = contentDigest(input.body);
    components.push('content-digest');
  }
  const params = serializeSignatureInput(components, {
    created: input.created ?? Math.floor(Date.now() / 1000),
    nonce: input.nonce ?? randomBytes(16).toString('base64url'),
    keyid: input.keyid,
    alg: 'ed25519',
    tag: SIGNATURE_TAG,
  });
  const base = signatureBase({ method: input.method, target: input.target, headers }, components, params);
  const sig = input.signer(Buffer.from(base));
  headers['signature-input'] = `${SIGNATURE_LABEL}=${params}`;
  headers['signature'] = `${SIGNATURE_LABEL}=:${sig.toString('base64')}:`;
  return headers;
}

export interface ParsedSignature {
  label: string;
  components: string[];
  created: number | null;
  /** RFC 9421 `expires`, when the signer set one: the server refuses the signature after it. */
  expires: number | null;
  nonce: string | null;
  keyid: string | null;
  alg: string | null;
  tag: string | null;
  base: string;
  signature: Buffer;
}

/** An integer parameter written as a decimal (RFC 8941: parameters may follow spaces after ";"). */
const WRITTEN_AS_DECIMAL = { created: /;\s*created=-?\d+\./, expires: /;\s*expires=-?\d+\./ };

/**
 * The text of dictionary member `label` (the last, as a parser takes the last of a repeated
 * key), with the inside of every quoted string blanked, so that a search of its parameters
 * meets neither another member's nor a string's text. '' if absent.
 */
function memberText(header: string, label: string): string {
  const members: string[] = [];
  let out = '';
  let inString = false;
  let depth = 0;
  for (let i = 0; i < header.length; i++) {
    const c = header[i];
    if (inString) {
      if (c === '\\') i++; // an escaped character, blanked with its backslash
      else if (c === '"') inString = false;
      out += c === '"' && !inString ? c : '_';
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      members.push(out.trim());
      out = '';
      continue;
    }
    out += c;
  }
  members.push(out.trim());
  return members.filter((m) => m === label || m.startsWith(`${label}=`) || m.startsWith(`${label};`)).at(-1) ?? '';
}

/**
 * Which of the request's signatures Parley checks (RFC 9421 §3.2 leaves the choice to the
 * verifier): the one tagged `parley`, else the one labelled `sig1`, else the first label
 * present in both headers — so that a proxy's signature listed before the client's does not
 * hide it. Only one is ever verified: more labels cost nothing more.
 */
function chosenLabel(inputs: Dictionary, sigs: Dictionary): string | undefined {
  const both = [...inputs.keys()].filter((l) => sigs.has(l));
  const tagged = both.find((l) => Array.isArray(inputs.get(l)![0]) && inputs.get(l)![1].get('tag') === SIGNATURE_TAG);
  return tagged ?? (both.includes(SIGNATURE_LABEL) ? SIGNATURE_LABEL : both[0]);
}

/**
 * Parses `Signature-Input` and `Signature` and builds the signature base of the signature
 * chosenLabel picks. Parameters must have the types RFC 9421 §2.3 gives them (strings, and
 * integers for `created` and `expires`). Throws SignatureError with a reason a client can act on.
 */
export function parseSignature(req: RequestParts): ParsedSignature {
  const inputHeader = req.headers?.['signature-input'];
  const sigHeader = req.headers?.['signature'];
  if (!inputHeader || !sigHeader) throw new SignatureError('Signature-Input and Signature headers are required');
  let inputs: ReturnType<typeof parseDictionary>;
  let sigs: ReturnType<typeof parseDictionary>;
  try {
    inputs = parseDictionary(inputHeader);
    sigs = parseDictionary(sigHeader);
  } catch (err) {
    throw new SignatureError(`unparseable signature headers: ${(err as Error).message}`);
  }
  const label = chosenLabel(inputs, sigs);
  if (!label) throw new SignatureError('no signature label appears in both Signature-Input and Signature');
  const input = inputs.get(label)!;
  const sigItem = sigs.get(label)!;
  if (!Array.isArray(input[0])) throw new SignatureError('Signature-Input member must be an inner list');
  if (!(sigItem[0] instanceof ArrayBuffer)) throw new SignatureError('Signature member must be a byte sequence');
  const components = (input[0] as Item[]).map(([name, params]) => {
    if (typeof name !== 'string' || params.size > 0) throw new SignatureError('covered components must be plain strings');
    return name;
  });
  if (new Set(components).size !== components.length) throw new SignatureError('a component is covered twice');
  const params = input[1];
  const get = (k: string) => (params.has(k) ? params.get(k) : null);
  const [created, expires, nonce, keyid, alg, tag] = ['created', 'expires', 'nonce', 'keyid', 'alg', 'tag'].map(get);
  const member = memberText(String(inputHeader), label);
  for (const [k, val] of [['created', created], ['expires', expires]] as const) {
    // An sf-decimal such as 1700000000.0 parses to the same JS number as the integer: told apart in the text.
    if ((val !== null && !Number.isSafeInteger(val)) || WRITTEN_AS_DECIMAL[k].test(member)) {
      throw new SignatureError(`${k} must be an integer`);
    }
  }
  // A token (alg=ed25519, unquoted) is not the string RFC 9421 defines these as.
  for (const [k, val] of [['nonce', nonce], ['keyid', keyid], ['alg', alg], ['tag', tag]] as const) {
    if (val !== null && typeof val !== 'string') throw new SignatureError(`${k} must be a string`);
  }
  const base = signatureBase(req, components, serializeInnerList(input as InnerList));
  return {
    label,
    components,
    created: created as number | null,
    expires: expires as number | null,
    nonce: nonce as string | null,
    keyid: keyid as string | null,
    alg: alg as string | null,
    tag: tag as string | null,
    base,
    signature: Buffer.from(sigItem[0] as ArrayBuffer),
  };
}

export function verifySignature(parsed: ParsedSignature, signKey: string): boolean {
  return ed25519Verify(signKey, Buffer.from(parsed.base), parsed.signature);
}

/** Longer than any nonce a client needs (the SDK sends 22 characters). */
export const MAX_NONCE_LENGTH = 128;

/**
 * Parley's policy on a parsed signature (DESIGN.md Part 3), except time and nonce memory:
 * required parameters and components, `alg` ed25519 and `tag` parley when present, and a content digest
 * that matches the body we received (computed by us, never trusted from the header).
 */
export function parleyPolicyProblem(parsed: ParsedSignature, body: Uint8Array | undefined, headerDigest: string | undefined): string | null {
  if (parsed.created === null) return 'created is required';
  if (!parsed.nonce) return 'nonce is required';
  // Each nonce is stored for two signature windows: a bound keeps that store small.
  if (parsed.nonce.length > MAX_NONCE_LENGTH) return `nonce must be at most ${MAX_NONCE_LENGTH} characters`;
  if (!parsed.keyid) return 'keyid is required';
  if (parsed.alg !== null && parsed.alg !== 'ed25519') return 'alg must be ed25519';
  // A signature tagged for another application is not one made for Parley (RFC 9421 §2.3).
  if (parsed.tag !== null && parsed.tag !== SIGNATURE_TAG) return `tag must be "${SIGNATURE_TAG}"`;
  for (const c of REQUIRED_COMPONENTS) if (!parsed.components.includes(c)) return `${c} must be covered`;
  const hasBody = body !== undefined && body.length > 0;
  if (hasBody) {
    if (!parsed.components.includes('content-digest')) return 'content-digest must be covered when there is a body';
    if (headerDigest !== contentDigest(body)) return 'content-digest does not match the body';
  }
  return null;
}
