import { createWriteStream, rmSync, WriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command } from 'commander';
import { checkRemembered, rememberedOf, type ServedLine } from '../../client';
import { eventHash, isBlankLine } from '../../protocol';
import { action, withCommonOptions } from '../support/cli-context';
import { examples } from '../support/event-command';
import { createNewFile } from '../support/new-file';
import { printable, warnRememberedAbsent } from '../support/output';

export function register(program: Command): void {
  const cmd = withCommonOptions(
    program.command('export').description('Write the log as NDJSON, envelopes exactly as stored (for `parley audit`)'),
  )
    .option('--out <file>', 'write to a file instead of standard output')
    .option('--all', 'every channel in global order (GET /v1/export; a global auditor key)')
    .addHelpText('after', examples(['parley export --out channel.ndjson', 'parley export --all --keystore auditor.keystore > all.ndjson']));
  cmd.action(
    action(async (ctx) => {
      const o = cmd.opts() as { out?: string; all?: boolean };
      const http = await ctx.http();
      const channel = o.all ? null : await ctx.channel();
      // As served, lines that are not strict JSON too: the auditor's file must show what the server serves, and `audit` reports such a line.
      const lines: AsyncIterable<ServedLine> = channel === null ? http.servedExport() : http.servedEvents(channel);
      // The export must still hold the event this keystore remembers of the channel (as status
      // does), or with --all of each channel it remembers one of.
      const seen = rememberedOf((await ctx.keys()).seen, channel);
      const hashAtSeen = new Map<string, string>();
      // Line k of a channel in the export is its event at seq k: by position, not by the seq a
      // line claims (an export is not verified here; a cut log must not pass for a whole one).
      const linesOf = new Map<string, number>();
      const sink: NodeJS.WritableStream = o.out ? createWriteStream(o.out, { fd: createNewFile(o.out, 'export', `--out ${o.out}`) }) : process.stdout;
      // Lines written, and of them events (strictly parsed); the others' problems, the first few
      // said and the rest counted (a log of nothing else must not fill the memory).
      let n = 0;
      let events = 0;
      const unparsed = { first: [] as string[], count: 0 };
      try {
        for await (const line of lines) {
          // A line that is not strict JSON names no channel of its own: in one channel's export it takes that
          // channel's next seq, unless it is blank (the auditor skips those, and finds the event missing there).
          const of = line.envelope?.channel ?? (isBlankLine(line.raw) ? null : channel);
          if (of !== null) {
            const at = linesOf.get(of) ?? 0;
            linesOf.set(of, at + 1);
            if (line.envelope && Object.hasOwn(seen, of) && seen[of].seq === at) hashAtSeen.set(of, eventHash(line.envelope));
          }
          if (line.envelope !== null) events++;
          else if (unparsed.count++ < 5) unparsed.first.push(`line ${n + 1}: ${line.problem}`);
          if (!sink.write(Buffer.concat([line.raw, Buffer.from('\n')]))) await once(sink, 'drain');
          n++;
        }
        for (const [c, event] of Object.entries(seen)) {
          // With --all, a remembered channel the export lacks may be another server's: said, not refused.
          if (channel === null && !linesOf.has(c)) {
            warnRememberedAbsent(c, 'export');
            continue;
          }
          checkRemembered(hashAtSeen.get(c) ?? null, event, channel === null ? c : undefined);
        }
      } catch (err) {
        // No file is left that could pass for the channel's log (standard output cannot be taken back).
        if (o.out) rmSync(o.out, { force: true });
        throw err;
      } finally {
        if (o.out) {
          (sink as WriteStream).end();
          await once(sink, 'finish');
        }
      }
      for (const problem of unparsed.first) process.stderr.write(printable(`parley: warning: ${problem}; written as served, for the audit`, true) + '\n');
      if (unparsed.count > unparsed.first.length) process.stderr.write(`parley: warning: ${unparsed.count - unparsed.first.length} more lines that are no event (blank, or not strict JSON)\n`);
      // The count goes to stderr: stdout may be the export itself.
      const others = unparsed.count ? { notEvents: unparsed.count } : {};
      if (ctx.out.json && o.out) process.stdout.write(JSON.stringify({ ok: true, events, ...others, out: o.out }) + '\n');
      else process.stderr.write(`exported ${events} events${unparsed.count ? ` and ${unparsed.count} ${unparsed.count === 1 ? 'line that is' : 'lines that are'} none` : ''}${o.out ? ` to ${o.out}` : ''}\n`);
    }),
  );
}
