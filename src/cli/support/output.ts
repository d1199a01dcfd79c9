/** Human output by default, one JSON document with --json; plain-text tables for people. */
export class Output {
  constructor(readonly json: boolean) {}

  /** Prints `data` as JSON, or `human()` as text. */
  result(data: unknown, human: () => string): void {
    process.stdout.write(this.json ? JSON.stringify(data) + '\n' : human().replace(/\n?$/, '\n'));
  }
}

/** A table with a title, column widths from the content, cells cut at `maxWidth`. */
export function table(title: string, headers: string[], rows: (string | number | null | undefined)[][], maxWidth = 48): string {
  if (rows.length === 0) return `${title}: none\n`;
  const cells = rows.map((r) => r.map((c) => cut(c === null || c === undefined ? '-' : String(c), maxWidth)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [title, line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n') + '\n';
}

function cut(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

/** A short id for tables (the first 8 hex digits of a uuid); full ids are in --json. */
export const short = (id: string | null | undefined): string => (id ? id.slice(0, 8) : '-');
