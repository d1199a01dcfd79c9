import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/**
 * Who signed a request, as the SignedRequestGuard resolved it (DESIGN.md Part 3). The
 * guard puts it on `request.caller`; handlers take it with `@CurrentCaller()`.
 */
export interface Caller {
  /** The request signature's keyid: a participant key pair's fingerprint. */
  keyid: string;
  /** A global auditor from the server's configuration (reads every channel, may export). */
  globalAuditor: boolean;
  /** Channels where this key belongs to an active participant, with that participant's id. */
  memberships: { channel: string; participant: string }[];
}

export const CurrentCaller = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Caller => ctx.switchToHttp().getRequest().caller,
);

/** The channels a caller may read: its active memberships, or all for a global auditor (null). */
export function readableChannels(caller: Caller): Set<string> | null {
  return caller.globalAuditor ? null : new Set(caller.memberships.map((m) => m.channel));
}
