/**
 * Step 1 of DESIGN.md 1.5, `malformed`: exact key sets, formats, enums, sorted and unique
 * lists, size limits, and ChannelOpened's own structure. Pure and total: any input value
 * (already strictly parsed) gets either null (well-formed) or the reason it is not.
 */
import { isB64u, isHex64 } from './encoding';
import {
  EVENT_TYPES,
  EventType,
  NOTARY,
  PARTY_KINDS,
  Participant,
  ROLES,
} from './types';

export const LIMITS = {
  parties: 32,
  participants: 256,
  keys: 256,
  proposalRequests: 1000,
} as const;

/** A lowercase uuid, the form of every id and channel (DESIGN.md 1.1). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PARTY_ID = /^[a-z][a-z0-9-]{0,31}$/;
const PARTICIPANT_ID = /^[a-z][a-z0-9.-]{0,63}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const isUuid = (x: unknown): x is string => typeof x === 'string' && UUID_PATTERN.test(x);
export const isPartyId = (x: unknown): x is string => typeof x === 'string' && PARTY_ID.test(x);
export const isParticipantId = (x: unknown): x is string =>
  typeof x === 'string' && PARTICIPANT_ID.test(x) && x !== NOTARY;
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/**
 * A real UTC instant in exactly the form `toISOString` writes: the fields name a real
 * (proleptic Gregorian) date and time, so `new Date(Date.parse(x)).toISOString() === x`.
 * Checked by arithmetic, which is what that round trip decides, at a tenth of its cost.
 */
export const isTime = (x: unknown): x is string => {
  if (typeof x !== 'string' || !TIME.test(x)) return false;
  const two = (i: number) => (x.charCodeAt(i) - 48) * 10 + x.charCodeAt(i + 1) - 48;
  const year = two(0) * 100 + two(2);
  const month = two(5);
  const day = two(8);
  if (month < 1 || month > 12 || day < 1 || two(11) > 23 || two(14) > 59 || two(17) > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month]);
};

type Obj = Record<string, unknown>;
const isObject = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Thrown inside this module only, to unwind with the first reason. */
class Malformed extends Error {}
function fail(message: string): never {
  throw new Malformed(message);
}

/** Only for constant messages: a template message is built in the failing branch alone (hot path). */
function need(ok: boolean, message: string): void {
  if (!ok) fail(message);
}

function exactKeys(x: unknown, where: string, required: readonly string[], optional: readonly string[] = []): Obj {
  if (!isObject(x)) fail(`${where} must be an object`);
  for (const k of required) if (!Object.prototype.hasOwnProperty.call(x, k)) fail(`${where}.${k} is missing`);
  for (const k of Object.keys(x)) {
    if (!required.includes(k) && !optional.includes(k)) fail(`${where}.${k} is not allowed`);
  }
  return x;
}

/** Code-point order; every sorted list in the protocol holds ASCII ids or hex. */
function sortedUnique(list: string[]): boolean {
  for (let i = 1; i < list.length; i++) if (!(list[i - 1] < list[i])) return false;
  return true;
}

function list(x: unknown, where: string, max: number, item: (v: unknown) => boolean, itemDesc: string): string[] {
  if (!Array.isArray(x)) fail(`${where} must be an array`);
  const arr = x as unknown[];
  if (arr.length > max) fail(`${where} has more than ${max} items`);
  arr.forEach((v, i) => {
    if (!item(v)) fail(`${where}[${i}] must be ${itemDesc}`);
  });
  return arr as string[];
}

function sortedList(x: unknown, where: string, max: number, item: (v: unknown) => boolean, itemDesc: string): string[] {
  const arr = list(x, where, max, item, itemDesc);
  if (!sortedUnique(arr)) fail(`${where} must be sorted and unique`);
  return arr;
}

function participant(x: unknown, where: string): Participant {
  const p = exactKeys(x, where, ['id', 'party', 'role', 'signKey', 'boxKey', 'proof']);
  if (!isParticipantId(p.id)) fail(`${where}.id is not a participant id`);
  if (!isPartyId(p.party)) fail(`${where}.party is not a party id`);
  if (!ROLES.includes(p.role as never)) fail(`${where}.role must be one of ${ROLES.join(', ')}`);
  if (!isB64u(p.signKey, 32)) fail(`${where}.signKey must be 32 bytes of b64u`);
  if (!isB64u(p.boxKey, 32)) fail(`${where}.boxKey must be 32 bytes of b64u`);
  if (!isB64u(p.proof, 64)) fail(`${where}.proof must be 64 bytes of b64u`);
  return p as unknown as Participant;
}

function oneOf(x: unknown, where: string, values: readonly string[]): void {
  if (!(typeof x === 'string' && values.includes(x))) fail(`${where} must be one of ${values.join(', ')}`);
}

const uuidField = (m: Obj, k: string) => {
  if (!isUuid(m[k])) fail(`meta.${k} must be a uuid`);
};
const hashField = (m: Obj, k: string) => {
  if (!isHex64(m[k])) fail(`meta.${k} must be a lowercase hex SHA-256`);
};

const META: Record<EventType, (meta: unknown, sender: string) => void> = {
  ChannelOpened(x, sender) {
    const m = exactKeys(x, 'meta', ['parties', 'participants', 'notary', 'policy']);
    need(Array.isArray(m.parties), 'meta.parties must be an array');
    const parties = m.parties as unknown[];
    if (parties.length > LIMITS.parties) fail(`meta.parties has more than ${LIMITS.parties} items`);
    const kinds = new Map<string, string>();
    parties.forEach((raw, i) => {
      const p = exactKeys(raw, `meta.parties[${i}]`, ['id', 'kind']);
      if (!isPartyId(p.id)) fail(`meta.parties[${i}].id is not a party id`);
      oneOf(p.kind, `meta.parties[${i}].kind`, PARTY_KINDS);
      if (kinds.has(p.id as string)) fail(`party ${p.id} is listed twice`);
      kinds.set(p.id as string, p.kind as string);
    });
    need([...kinds.values()].filter((k) => k === 'side').length >= 2, 'a channel needs at least two parties of kind side');
    need(Array.isArray(m.participants), 'meta.participants must be an array');
    const raw = m.participants as unknown[];
    if (raw.length > LIMITS.participants) fail(`meta.participants has more than ${LIMITS.participants} items`);
    const ps = raw.map((p, i) => participant(p, `meta.participants[${i}]`));
    const ids = new Set<string>();
    const signKeys = new Set<string>();
    const boxKeys = new Set<string>();
    for (const p of ps) {
      if (!kinds.has(p.party)) fail(`participant ${p.id}'s party ${p.party} is not listed`);
      if (ids.has(p.id)) fail(`participant id ${p.id} is listed twice`);
      if (signKeys.has(p.signKey)) fail(`participant ${p.id} reuses a signKey`);
      if (boxKeys.has(p.boxKey)) fail(`participant ${p.id} reuses a boxKey`);
      ids.add(p.id);
      signKeys.add(p.signKey);
      boxKeys.add(p.boxKey);
    }
    for (const [party, kind] of kinds) {
      if (kind === 'observer') continue;
      need(
        ps.some((p) => p.party === party && p.role === 'negotiator'),
        `${kind} party ${party} has no negotiator`,
      );
    }
    need(
      ps.some((p) => p.id === sender && p.role === 'negotiator'),
      'the sender of ChannelOpened must be a listed negotiator',
    );
    const notary = exactKeys(m.notary, 'meta.notary', ['signKey']);
    need(isB64u(notary.signKey, 32), 'meta.notary.signKey must be 32 bytes of b64u');
    const policy = exactKeys(m.policy, 'meta.policy', ['quorum', 'auditorsRead']);
    oneOf(policy.quorum, 'meta.policy.quorum', ['sides', 'all']);
    need(typeof policy.auditorsRead === 'boolean', 'meta.policy.auditorsRead must be a boolean');
  },
  ParticipantAdmitted(x) {
    const m = exactKeys(x, 'meta', ['participant']);
    participant(m.participant, 'meta.participant');
  },
  ParticipantRevoked(x) {
    const m = exactKeys(x, 'meta', ['participant'], ['replacement']);
    need(isParticipantId(m.participant), 'meta.participant must be a participant id');
    if (Object.hasOwn(m, 'replacement')) participant(m.replacement, 'meta.replacement');
  },
  MessagePosted(x) {
    const m = exactKeys(x, 'meta', ['audience']);
    // No count limit of its own (1.5 step 1 lists none): too many parties are unknown_party at step 8.
    sortedList(m.audience, 'meta.audience', Infinity, isPartyId, 'a party id');
  },
  ReunificationRequested(x) {
    const m = exactKeys(x, 'meta', ['request', 'category', 'holder']);
    uuidField(m, 'request');
    oneOf(m.category, 'meta.category', ['minor', 'adult-displaced-as-minor']);
    need(isPartyId(m.holder), 'meta.holder must be a party id');
  },
  RequestInformationShared(x) {
    const m = exactKeys(x, 'meta', ['request', 'kind']);
    uuidField(m, 'request');
    oneOf(m.kind, 'meta.kind', ['details', 'health', 'location', 'document']);
  },
  RequestWithdrawn(x) {
    const m = exactKeys(x, 'meta', ['request', 'reason']);
    uuidField(m, 'request');
    oneOf(m.reason, 'meta.reason', ['duplicate', 'resolved-elsewhere', 'other']);
  },
  ProposalSubmitted(x) {
    const m = exactKeys(x, 'meta', ['proposal', 'requests'], ['supersedes']);
    uuidField(m, 'proposal');
    const reqs = sortedList(m.requests, 'meta.requests', LIMITS.proposalRequests, isUuid, 'a uuid');
    need(reqs.length > 0, 'meta.requests must not be empty');
    if (Object.hasOwn(m, 'supersedes')) uuidField(m, 'supersedes');
  },
  ProposalAccepted(x) {
    const m = exactKeys(x, 'meta', ['proposal', 'proposalHash']);
    uuidField(m, 'proposal');
    hashField(m, 'proposalHash');
  },
  ProposalRejected(x) {
    META.ProposalAccepted(x, '');
  },
  ProposalWithdrawn(x) {
    uuidField(exactKeys(x, 'meta', ['proposal']), 'proposal');
  },
  TransferAgreed(x) {
    const m = exactKeys(x, 'meta', ['proposal', 'proposalHash', 'acceptances']);
    uuidField(m, 'proposal');
    hashField(m, 'proposalHash');
    // No count limit of its own (1.5 step 1 lists none): too many are quorum_not_met at step 8.
    sortedList(m.acceptances, 'meta.acceptances', Infinity, isHex64, 'an event hash');
  },
  HandoverConfirmed(x) {
    const m = exactKeys(x, 'meta', ['proposal', 'request', 'step']);
    uuidField(m, 'proposal');
    uuidField(m, 'request');
    oneOf(m.step, 'meta.step', ['released', 'received']);
  },
  ReunificationCompleted(x) {
    uuidField(exactKeys(x, 'meta', ['request']), 'request');
  },
  TransferCancelled(x) {
    META.ProposalWithdrawn(x, '');
  },
};

const ENVELOPE_KEYS = ['v', 'id', 'channel', 'seq', 'prev', 'type', 'sender', 'at', 'meta', 'body', 'sig'];

function body(x: unknown): void {
  if (x === null) return;
  const b = exactKeys(x, 'body', ['epk', 'nonce', 'box', 'commit', 'keys']);
  need(isB64u(b.epk, 32), 'body.epk must be 32 bytes of b64u');
  need(isB64u(b.nonce, 24), 'body.nonce must be 24 bytes of b64u');
  need(isB64u(b.box), 'body.box must be b64u');
  need(isHex64(b.commit), 'body.commit must be a lowercase hex SHA-256');
  need(Array.isArray(b.keys), 'body.keys must be an array');
  const keys = b.keys as unknown[];
  if (keys.length > LIMITS.keys) fail(`body.keys has more than ${LIMITS.keys} items`);
  const to = keys.map((raw, i) => {
    const k = exactKeys(raw, `body.keys[${i}]`, ['to', 'nonce', 'key']);
    if (!isParticipantId(k.to)) fail(`body.keys[${i}].to must be a participant id`);
    if (!isB64u(k.nonce, 24)) fail(`body.keys[${i}].nonce must be 24 bytes of b64u`);
    if (!isB64u(k.key, 48)) fail(`body.keys[${i}].key must be 48 bytes of b64u`);
    return k.to as string;
  });
  need(sortedUnique(to), 'body.keys must be sorted by to, without duplicates');
}

/** Null when `x` is a well-formed envelope (DESIGN.md 1.3, 1.4), else why it is not. */
export function shapeProblem(x: unknown): string | null {
  try {
    const e = exactKeys(x, 'envelope', ENVELOPE_KEYS);
    need(e.v === 1, 'v must be 1');
    need(isUuid(e.id), 'id must be a uuid');
    need(isUuid(e.channel), 'channel must be a uuid');
    need(Number.isSafeInteger(e.seq) && (e.seq as number) >= 0, 'seq must be an integer in [0, 2^53-1]');
    need(isHex64(e.prev), 'prev must be a lowercase hex SHA-256');
    oneOf(e.type, 'type', EVENT_TYPES);
    need(e.sender === NOTARY || isParticipantId(e.sender), 'sender must be a participant id or notary');
    need(isTime(e.at), 'at must be a UTC time YYYY-MM-DDTHH:MM:SS.sssZ');
    body(e.body);
    need(isB64u(e.sig, 64), 'sig must be 64 bytes of b64u');
    META[e.type as EventType](e.meta, e.sender as string);
    return null;
  } catch (err) {
    if (err instanceof Malformed) return err.message;
    throw err;
  }
}
