import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { malformed, notFound, unauthorized } from '../common/api-error';
import { CLOCK, type Clock } from '../common/clock';
import type { RawBodyRequest } from '../common/raw-body.middleware';
import { PARLEY_CONFIG, type ParleyConfig } from '../config/parley-config';
import { b64uEncode, ed25519KeyPair, isUuid, ParsedSignature, parleyPolicyProblem, parseSignature, SignatureError, verifySignature } from '../protocol';
import { EVENT_STORE, type EventStore } from '../store/event-store.port';
import type { Caller } from './caller';
import { globalAuditors } from './global-auditors';
import { KEY_DIRECTORY, type KeyDirectory } from './key-directory';

const GLOBAL_AUDITOR_ONLY = 'parley:global-auditor-only';
const UNVERIFIED = 'request signature: unknown keyid or a signature that does not verify';
/** What a signature of an unknown keyid is checked against, so that it costs what a known one's does; nobody holds its secret. */
const DECOY_SIGN_KEY = b64uEncode(ed25519KeyPair().publicKey);
/** Marks a route only a global auditor (PARLEY_AUDITORS) may call; others get 404. */
export const GlobalAuditorOnly = () => SetMetadata(GLOBAL_AUDITOR_ONLY, true);

export interface SignedRequest extends RawBodyRequest {
  originalUrl: string;
  path?: string;
  params?: Record<string, string>;
  caller?: Caller;
}

/**
 * RFC 9421 request signatures as DESIGN.md Part 3 has them. In order: a `:channel` that is
 * not a uuid → 400; unparseable, incomplete, stale (`created` outside the window either
 * way), unknown keyid or a signature that does not verify → 401 (one message for both); a
 * replayed nonce → 401 (nonces are recorded only for verified signatures, in the store's
 * database, so they hold across restarts and instances); a known key that is no active
 * participant of the path's channel → 404. On success `request.caller` is set.
 */
@Injectable()
export class SignedRequestGuard implements CanActivate {
  private readonly auditors: Map<string, string>;
  private readonly windowS: number;

  constructor(
    @Inject(PARLEY_CONFIG) config: ParleyConfig,
    @Inject(KEY_DIRECTORY) private readonly directory: KeyDirectory,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly reflector: Reflector,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.auditors = globalAuditors(config.PARLEY_AUDITORS);
    this.windowS = config.PARLEY_SIGNATURE_WINDOW_S;
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<SignedRequest>();
    const channel = req.params?.channel;
    if (channel !== undefined && !isUuid(channel)) throw malformed('the channel in the path must be a lowercase uuid');

    // Signed calls take no body (DESIGN.md Part 3): one sent anyway would go unread, and its digest unchecked.
    if (req.rawBody === undefined && declaresBody(req)) throw malformed(`${req.method} ${req.path ?? 'this route'} takes no body`);

    const headers = headerStrings(req.headers);
    const parsed = this.parse(req, headers);
    const problem = parleyPolicyProblem(parsed, req.rawBody, headers['content-digest']);
    if (problem) throw unauthorized(`request signature: ${problem}`);
    const nowS = this.clock() / 1000;
    if (Math.abs(nowS - parsed.created!) > this.windowS) {
      throw unauthorized(`request signature: created must be within ${this.windowS} s of the server's clock`);
    }
    if (parsed.expires !== null && nowS > parsed.expires) throw unauthorized('request signature: expired (its expires has passed)');

    const keyid = parsed.keyid!;
    const auditorKey = this.auditors.get(keyid);
    const memberships = await this.directory.resolve(keyid);
    const signKey = auditorKey ?? memberships[0]?.signKey;
    // One answer for both, in about the same time (an unknown keyid is checked against a decoy
    // key): without the key's secret nobody learns whether a keyid is known here.
    if (!verifySignature(parsed, signKey ?? DECOY_SIGN_KEY) || !signKey) throw unauthorized(UNVERIFIED);
    // Kept one window longer than any instance accepts the signature by its own clock, so that
    // an instance whose clock runs ahead (by up to a window) cannot purge a nonce that another
    // instance would still take: then a replay sent there would be new to it.
    const expiresAtMs = (Math.max(parsed.created!, nowS) + 2 * this.windowS) * 1000;
    if (!(await this.store.rememberNonce(keyid, parsed.nonce!, expiresAtMs, this.clock()))) {
      throw unauthorized('request signature: nonce already used');
    }

    const globalAuditor = auditorKey !== undefined;
    const active = memberships.filter((m) => m.active);
    if (!globalAuditor) {
      if (this.reflector.getAllAndOverride<boolean>(GLOBAL_AUDITOR_ONLY, [ctx.getHandler(), ctx.getClass()])) {
        throw notFound('this route answers only the global auditors this server is configured with (PARLEY_AUDITORS)');
      }
      // One message for both cases, as one status: the key must not learn which channels exist.
      if (channel !== undefined && !active.some((m) => m.channel === channel)) {
        throw notFound(`no channel ${channel} that this key may read: it has no events, or this key is not (or no longer) an active participant of it`);
      }
    }
    req.caller = { keyid, globalAuditor, memberships: active.map(({ channel: c, participant }) => ({ channel: c, participant })) };
    return true;
  }

  private parse(req: SignedRequest, headers: Record<string, string | undefined>): ParsedSignature {
    try {
      // @scheme is what reached this process: behind a TLS-terminating proxy, http.
      const scheme = (req.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http';
      return parseSignature({ method: req.method!, target: req.originalUrl, headers, authority: headers.host, scheme });
    } catch (err) {
      if (err instanceof SignatureError) throw unauthorized(`request signature: ${err.message}`);
      throw err;
    }
  }
}

/** Whether the request carries a body (RFC 9112 §6.3): a length above 0, or any transfer coding. */
function declaresBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

function headerStrings(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
