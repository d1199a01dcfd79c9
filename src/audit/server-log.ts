/**
 * A log fetched from a Parley server with signed requests (DESIGN.md Part 3), as raw NDJSON
 * bytes for the auditor: one channel page by page (GET /v1/channels/{c}/events), or every
 * channel in global order (GET /v1/export). The bytes are audited as served; nothing the
 * server says is trusted.
 */
import { ParleyHttpClient, RequestKeys } from '../client/http-client';

/** DESIGN.md Part 3: `limit` is capped at 10,000. */
export const AUDIT_PAGE = 10_000;

const NEWLINE = Buffer.from('\n');

export async function* serverLog(
  server: string,
  keys: RequestKeys,
  what: { channel: string } | { all: true },
  options: { pageSize?: number; fetch?: typeof fetch; timeoutMs?: number } = {},
): AsyncGenerator<Uint8Array> {
  // Each line within the client's deadline of the one before: a stalled server ends the audit, not hangs it.
  const client = new ParleyHttpClient({ server, keys, fetch: options.fetch, timeoutMs: options.timeoutMs });
  if ('all' in what) {
    yield* client.ndjsonBytes('/v1/export');
    return;
  }
  const limit = options.pageSize ?? AUDIT_PAGE;
  for (let from = 0; ; ) {
    let lines = 0;
    let last = 0x0a;
    for await (const chunk of client.ndjsonBytes(`/v1/channels/${what.channel}/events?from=${from}&limit=${limit}`)) {
      if (chunk.byteLength === 0) continue;
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) lines++;
      last = chunk[chunk.byteLength - 1];
      yield chunk;
    }
    if (last !== 0x0a) {
      lines++;
      yield NEWLINE; // so that the next page starts a line of its own
    }
    if (lines < limit) return;
    from += lines;
  }
}
