/**
 * Sign keys as the log claims them, learnt in input order ahead of the replay, so that
 * signatures can be verified in worker threads before the replay reaches them. Claims are
 * unchecked hints: the replay takes a verdict only for the very key the channel state
 * names for the sender, and verifies itself otherwise.
 */
import type { Envelope } from '../protocol';

const str = (x: unknown): x is string => typeof x === 'string';

export class ClaimedKeys {
  private readonly byChannel = new Map<string, Map<string, string>>();

  /** The key claimed for `sender` ('notary' for the channel's notary) in `channel`. */
  get(channel: string, sender: string): string | undefined {
    return this.byChannel.get(channel)?.get(sender);
  }

  /** Learns the keys an event claims. First claim wins: a refused claim can cost a re-verify, never a verdict. */
  learn(value: unknown): void {
    const claimed = claimedKeysOf(value);
    if (!claimed) return;
    let keys = this.byChannel.get(claimed.channel);
    if (!keys) this.byChannel.set(claimed.channel, (keys = new Map()));
    for (const [id, key] of claimed.entries) if (!keys.has(id)) keys.set(id, key);
  }
}

function entryOf(p: unknown): [string, string][] {
  const rec = p as { id?: unknown; signKey?: unknown } | null;
  return rec && str(rec.id) && str(rec.signKey) ? [[rec.id, rec.signKey]] : [];
}

/** The sign keys an event introduces: ChannelOpened, ParticipantAdmitted, a revocation's replacement. */
export function claimedKeysOf(value: unknown): { channel: string; entries: [string, string][] } | null {
  if (typeof value !== 'object' || value === null) return null;
  const env = value as Partial<Envelope> & { meta?: Record<string, unknown> };
  if (!str(env.channel) || !env.meta || typeof env.meta !== 'object') return null;
  let entries: [string, string][] = [];
  if (env.type === 'ChannelOpened') {
    const { participants, notary } = env.meta as { participants?: unknown; notary?: { signKey?: unknown } };
    if (Array.isArray(participants)) entries = participants.flatMap(entryOf);
    if (notary && str(notary.signKey)) entries.push(['notary', notary.signKey]);
  } else if (env.type === 'ParticipantAdmitted') {
    entries = entryOf(env.meta.participant);
  } else if (env.type === 'ParticipantRevoked') {
    entries = entryOf(env.meta.replacement);
  }
  return entries.length ? { channel: env.channel, entries } : null;
}
