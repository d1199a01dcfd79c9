import { displayWidth, fitToWidth } from './display-width';

/** Human output by default, one JSON document with --json; plain-text tables for people. */
export class Output {
  constructor(readonly json: boolean) {}

  /** Prints `data` as JSON, or `human()` as text (control characters made visible). */
  result(data: unknown, human: () => string): void {
    process.stdout.write(this.json ? JSON.stringify(data) + '\n' : printable(human()).replace(/\n?$/, '\n'));
  }
}

// C0 controls but tab and newline, DEL, C1 controls (ESC and CSI start terminal escapes),
// line and paragraph separators, and the bidirectional overrides and isolates.
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text for a terminal from what others wrote (decrypted content, a server's message):
 * each control character shown as \u{…}, so that it can neither drive the terminal nor
 * dress up as output of ours. `oneLine` also shows newlines, for one-line-per-item output.
 */
export function printable(text: string, oneLine = false): string {
  const shown = text.replace(UNPRINTABLE, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
  return oneLine ? shown.replace(/[\t\n]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`) : shown;
}

/**
 * A table with a title, column widths from the content, cells cut at `maxWidth`. Widths are
 * terminal columns (displayWidth), not UTF-16 units, so that columns stay aligned whatever
 * script the people's names are in.
 */
export function table(title: string, headers: string[], rows: (string | number | null | undefined)[][], maxWidth = 48): string {
  if (rows.length === 0) return `${title}: none\n`;
  // One line a cell, made printable cell by cell so that what a control character shows as is measured too.
  const cells = rows.map((r) => r.map((c) => fitToWidth(printable((c === null || c === undefined ? '-' : String(c)).replace(/\s+/g, ' ')), maxWidth)));
  const head = headers.map((text) => ({ text, width: displayWidth(text) }));
  // A loop, not Math.max(...column): a spread of 150,000 rows overflows the stack.
  const widths = head.map((h) => h.width);
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i], c.width)));
  const line = (r: { text: string; width: number }[]) => r.map((c, i) => c.text + ' '.repeat(widths[i] - c.width)).join('  ').trimEnd();
  return [title, line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n') + '\n';
}

/** A short id for tables (the first 8 hex digits of a uuid); full ids are in --json. */
export const short = (id: string | null | undefined): string => (id ? id.slice(0, 8) : '-');

/**
 * A channel the keystore verified earlier that a whole log or export (`source`) lacks: maybe
 * another server's channel, so said on stderr rather than refused.
 */
export function warnRememberedAbsent(channel: string, source: 'log' | 'export'): void {
  process.stderr.write(`parley: warning: channel ${printable(channel, true)}, which this keystore verified earlier, is not in this ${source} (a channel of another server?)\n`);
}
