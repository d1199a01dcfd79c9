/** One line per event for `tail` and the demo: who did what, with what it says if readable. */
import { documentLabel, type ViewEntry } from '../../client';
import { printable, short } from './output';

export function eventLine(e: ViewEntry): string {
  const env = e.envelope;
  const m = env.meta as unknown as Record<string, unknown>;
  const refs = ['request', 'proposal', 'supersedes']
    .filter((k) => typeof m[k] === 'string')
    .map((k) => `${k} ${short(m[k] as string)}`);
  if (Array.isArray(m.requests)) refs.push(`requests ${(m.requests as string[]).map(short).join(',')}`);
  for (const k of ['kind', 'category', 'holder', 'step', 'reason'] as const) if (typeof m[k] === 'string') refs.push(`${k} ${m[k]}`);
  if (Array.isArray(m.audience)) refs.push(`to ${(m.audience as string[]).join(',')}`);
  if (typeof m.participant === 'string') refs.push(`participant ${m.participant}`);
  else if (m.participant && typeof m.participant === 'object') refs.push(`participant ${(m.participant as { id: string }).id}`);
  if (m.replacement && typeof m.replacement === 'object') refs.push(`replacement ${(m.replacement as { id: string }).id}`);
  // Content is another participant's text: one line, nothing that drives the terminal.
  const said = e.readability === 'opened' ? `  “${printable(contentText(e.content!), true)}”` : e.readability === 'no_body' ? '' : `  [${e.readability.replace('_', ' ')}]`;
  return `#${String(e.seq).padStart(3)} ${env.at} ${env.sender.padEnd(12)} ${env.type}${refs.length ? ' (' + refs.join('; ') + ')' : ''}${said}`;
}

function contentText(c: Record<string, unknown>): string {
  const doc = documentLabel(c);
  if (doc) return typeof c.text === 'string' && c.text ? `${c.text} [${doc}]` : `[${doc}]`;
  for (const k of ['text', 'terms', 'title', 'reason', 'note']) if (typeof c[k] === 'string' && c[k]) return c[k] as string;
  const person = c.person as { fullName?: unknown } | undefined;
  if (typeof person?.fullName === 'string') return person.fullName;
  const text = JSON.stringify(c);
  return text.length > 80 ? text.slice(0, 79) + '…' : text;
}
