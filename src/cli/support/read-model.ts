/**
 * The read models (open requests, reunifications) as this participant can vouch for them:
 * each channel its keystore has joined is replayed and verified locally (continuing the
 * log it verified before), projected with the service's own pure projection
 * (channelRows), and shown with the names this key can decrypt. The server's listing is
 * only compared with that: a row it adds, leaves out or words otherwise is reported, never shown as fact,
 * and no channel it names is read unless the keystore has joined it.
 */
import { ApiError, ChannelSession } from '../../client';
import { canonical } from '../../protocol';
import { channelRows, type ChannelRows } from '../../projections/read-model-rows';
import { CliContext } from './cli-context';
import { printable, short, table } from './output';

export type Item = Record<string, unknown>;

export interface VerifiedListing {
  /** Rows projected from the verified logs, each with `person` (the decrypted name, or null). */
  items: Item[];
  /** Where the server's listing of joined channels differs from their verified logs, as channel/request (present only if it does). */
  serverDisagrees?: { listedButNotVerified: string[]; verifiedButNotListed: string[]; listedOtherwise: string[] };
  /** Channels the server lists rows of that this keystore has not joined: not read, not shown (present only if any). */
  notJoined?: string[];
  /**
   * Joined channels this keystore read before whose log the server now refuses this key
   * (404: revoked or rotated out, or withheld by the server): their rows are missing from
   * `items` (present only if any).
   */
  refused?: string[];
  /**
   * Joined channels this keystore never read and the server does not let it read (404): not
   * opened yet, or this key not admitted yet (a record was made for them), or withheld.
   */
  notYetReadable?: string[];
}

const keyOf = (item: Item) => `${String(item.channel)}/${String(item.request)}`;

/**
 * The rows `pick` takes from each joined channel's verified projection, compared with
 * `serverItems` (the server's answer for the same listing). A channel that does not verify,
 * or forks from what was verified before, fails the command; one the server will not let
 * this key read (404) contributes nothing and is listed in `refused` if this keystore read it
 * before (the key may have been revoked, but a server hiding a channel answers the same),
 * else in `notYetReadable`.
 */
export async function verifiedListing(ctx: CliContext, serverItems: Item[], pick: (rows: ChannelRows) => readonly object[]): Promise<VerifiedListing> {
  const keys = await ctx.keys();
  const items: Item[] = [];
  const refused: string[] = [];
  const notYetReadable: string[] = [];
  for (const channel of keys.channels) {
    let session: ChannelSession;
    try {
      session = await ctx.session({ channel });
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
      (keys.seen?.[channel] ? refused : notYetReadable).push(channel);
      continue;
    }
    if (session.state.nextSeq === 0) continue;
    for (const row of pick(channelRows(session.state)) as Item[]) items.push({ ...row, person: personOf(session, row) });
  }
  const joined = new Set(keys.channels);
  // Each row as the server would write it (without the name, which only this key can read).
  const verified = new Map(items.map(({ person: _, ...row }) => [keyOf(row), sameForm(row)]));
  const listed = new Map(serverItems.filter((i) => joined.has(String(i.channel))).map((row) => [keyOf(row), sameForm(row)]));
  const listedButNotVerified = [...listed.keys()].filter((k) => !verified.has(k));
  const verifiedButNotListed = [...verified.keys()].filter((k) => !listed.has(k));
  // A row listed with another status, holder, transfer … than the verified log gives it.
  const listedOtherwise = [...listed].filter(([k, row]) => verified.has(k) && verified.get(k) !== row).map(([k]) => k);
  const notJoined = [...new Set(serverItems.map((i) => String(i.channel)).filter((c) => !joined.has(c)))];
  return {
    items,
    ...((listedButNotVerified.length > 0 || verifiedButNotListed.length > 0 || listedOtherwise.length > 0) && {
      serverDisagrees: { listedButNotVerified, verifiedButNotListed, listedOtherwise },
    }),
    ...(notJoined.length > 0 && { notJoined }),
    ...(refused.length > 0 && { refused }),
    ...(notYetReadable.length > 0 && { notYetReadable }),
  };
}

/** A row in one spelling (RFC 8785), as it travels in JSON: members left undefined are absent. */
function sameForm(row: Item): string {
  return canonical(JSON.parse(JSON.stringify(row)) as Item);
}

function personOf(session: ChannelSession, row: Item): string | null {
  const r = typeof row.request === 'string' ? session.view.state.requests.get(row.request) : undefined;
  const name = (session.view.contentAt(r?.requested.seq)?.person as { fullName?: unknown } | undefined)?.fullName;
  return typeof name === 'string' ? name : null;
}

/** Said on standard error (with --json, in the document instead): what the server claimed that the logs do not bear out. */
export function warnIfDisputed(listing: VerifiedListing): void {
  const say = (text: string) => process.stderr.write(printable(text, true) + '\n');
  if (listing.refused) {
    const n = listing.refused.length;
    say(
      `parley: warning: the server refuses this key the log of ${n} joined channel(s) it read before (404), so nothing of ${n === 1 ? 'it' : 'them'} is listed: ` +
        `the key was revoked or rotated out, or the server is withholding ${n === 1 ? 'it' : 'them'} (${listing.refused.join(', ')})`,
    );
  }
  if (listing.notYetReadable) {
    say(
      `parley: ${listing.notYetReadable.length} joined channel(s) not listed: not opened yet, or this key not admitted yet (or the server withholds them) (${listing.notYetReadable.join(', ')})`,
    );
  }
  if (listing.notJoined) {
    const n = listing.notJoined.length;
    say(`parley: the server also lists rows of ${n} channel(s) this keystore has not joined; not shown (verify one with: parley status --channel ${listing.notJoined[0]})`);
  }
  const d = listing.serverDisagrees;
  if (!d) return;
  const parts = [];
  if (d.listedButNotVerified.length) parts.push(`${d.listedButNotVerified.length} row(s) it listed are not in the verified logs (${d.listedButNotVerified.map((k) => short(k.split('/')[1])).join(', ')})`);
  if (d.verifiedButNotListed.length) parts.push(`it left out ${d.verifiedButNotListed.length} that are (${d.verifiedButNotListed.map((k) => short(k.split('/')[1])).join(', ')})`);
  if (d.listedOtherwise.length) parts.push(`${d.listedOtherwise.length} row(s) it listed say otherwise than the verified logs (${d.listedOtherwise.map((k) => short(k.split('/')[1])).join(', ')})`);
  say(`parley: warning: the server's listing differs from the verified logs: ${parts.join('; ')}. Shown: the verified logs.`);
}

const cell = (v: unknown): string => (v === undefined || v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** A table of read-model items: the named columns first, ids shortened. */
export function itemsTable(title: string, items: Item[], columns: string[]): string {
  return table(title, columns, items.map((it) => columns.map((c) => (c === 'request' || c === 'channel' || c === 'transfer' ? short(it[c] as string) : cell(it[c])))), 40);
}
