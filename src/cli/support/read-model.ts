/**
 * The server's read models (open requests, reunifications) shown with the names this
 * participant can decrypt: each channel of the listing is replayed and verified locally,
 * and what the local replay knows of a request replaces what the server said of it.
 */
import { ApiError, ChannelSession } from '../../client';
import { displayStatus } from '../../protocol';
import { CliContext } from './cli-context';
import { short, table } from './output';

export type Item = Record<string, unknown>;

/**
 * Adds `person` (decrypted full name, or null) to items of channels this keystore can read,
 * and takes party, holder, status and transfer from the verified replay: the server's rows
 * are its projection, not evidence. A channel that does not verify fails the command.
 */
export async function withNames(ctx: CliContext, items: Item[]): Promise<Item[]> {
  const keys = await ctx.keys();
  const http = await ctx.http();
  const sessions = new Map<string, ChannelSession | null>();
  const out: Item[] = [];
  for (const item of items) {
    const channel = typeof item.channel === 'string' ? item.channel : null;
    const id = typeof item.request === 'string' ? item.request : null;
    let person: string | null = null;
    if (channel && id) {
      if (!sessions.has(channel)) {
        const s = new ChannelSession(http, keys, channel);
        // A channel this key cannot read any more (revoked: 404) simply shows no names.
        const readable = await s.sync().then(
          () => true,
          (err: unknown) => {
            if (err instanceof ApiError && err.status === 404) return false;
            throw err;
          },
        );
        sessions.set(channel, readable ? s : null);
      }
      const view = sessions.get(channel)?.view;
      const r = view?.state.requests.get(id);
      const name = (view?.contentAt(r?.requested.seq)?.person as { fullName?: unknown } | undefined)?.fullName;
      person = typeof name === 'string' ? name : null;
      if (r) {
        const verified: Item = { party: r.party, holder: r.holder, status: displayStatus(r), transfer: r.transfer };
        const merged: Item = { ...item };
        for (const [k, v] of Object.entries(verified)) if (k in item) merged[k] = v;
        out.push({ ...merged, person });
        continue;
      }
    }
    out.push({ ...item, person });
  }
  return out;
}

const cell = (v: unknown): string => (v === undefined || v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** A table of read-model items: the named columns first, ids shortened. */
export function itemsTable(title: string, items: Item[], columns: string[]): string {
  return table(title, columns, items.map((it) => columns.map((c) => (c === 'request' || c === 'channel' || c === 'transfer' ? short(it[c] as string) : cell(it[c])))), 40);
}
