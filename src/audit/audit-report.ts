/**
 * The auditor's report (issue 6, DESIGN.md Part 3): what `parley audit --json` prints and
 * what GET /v1/channels/{channel}/audit answers, both from the verifier's LogReport.
 */
import type { LogReport, ViolationCode } from '../protocol';

export interface AuditViolation {
  channel: string | null;
  seq: number | null;
  code: ViolationCode;
  message: string;
}

export interface AuditReport {
  ok: boolean;
  events: number;
  channels: { channel: string; events: number; head: string }[];
  /** In log order; at most the first of each channel (the rest of it is unverified). */
  violations: AuditViolation[];
}

export function auditReportOf(log: LogReport): AuditReport {
  return {
    ok: log.ok,
    events: log.events,
    channels: log.channels.map(({ channel, events, head }) => ({ channel, events, head })),
    violations: log.violations.map(({ channel, seq, code, message }) => ({ channel, seq, code, message })),
  };
}

/** The server's audit of one channel: `head` is the hash of its last verified event. */
export interface ChannelAudit {
  ok: boolean;
  events: number;
  head: string;
  violations: { seq: number | null; code: ViolationCode; message: string }[];
}

/** `log`: a LogVerifier's report over the channel's stream, verified with `channel` set. */
export function channelAuditOf(log: LogReport, channel: string, emptyHead: string): ChannelAudit {
  const summary = log.channels.find((c) => c.channel === channel);
  // The log was verified as this channel's stream (VerifierOptions.channel): every violation is this channel's.
  const violations = log.violations.map(({ seq, code, message }) => ({ seq, code, message }));
  return { ok: violations.length === 0, events: log.events, head: summary?.head ?? emptyHead, violations };
}

/** The readable summary `parley audit` prints. */
/**
 * The human-readable report. `field` shows each text that comes from the log (channel names,
 * violation messages) on one line: the CLI escapes control characters and newlines with it,
 * so that a log cannot print a verdict of its own into the report.
 */
export function formatAuditReport(report: AuditReport, field: (text: string) => string = (text) => text): string {
  const out: string[] = [];
  const verdict = report.ok ? 'VERIFIED: no violation' : `NOT VERIFIED: ${report.violations.length} violation(s)`;
  out.push(`${verdict} in ${report.events} event(s) of ${report.channels.length} channel(s)`);
  out.push('');
  out.push('channels:');
  if (report.channels.length === 0) out.push('  (none)');
  for (const c of report.channels) out.push(`  ${field(c.channel)}  events ${c.events}  head ${c.head}`);
  if (report.violations.length) {
    out.push('');
    out.push('violations (in log order; a channel is unverified after its first):');
    for (const v of report.violations) {
      out.push(`  channel ${v.channel === null ? '(none)' : field(v.channel)}  seq ${v.seq ?? '-'}  ${v.code}: ${field(v.message)}`);
    }
  }
  return out.join('\n') + '\n';
}
