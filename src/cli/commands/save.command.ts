import { closeSync, rmSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { defaultNameProblem, sharedDocument } from '../../client';
import { action, withCommonOptions } from '../support/cli-context';
import { UsageError } from '../support/cli-errors';
import { examples } from '../support/event-command';
import { createNewFile } from '../support/new-file';
import { printable } from '../support/output';

export function register(program: Command): void {
  const cmd = withCommonOptions(
    program.command('save <seq>').description('Save a document shared in the channel (`parley share --file`) to a file: the event at <seq>, verified and decrypted'),
  )
    .option('--out <file>', "where to write it: a new file (default: the sender's file name in the current directory), or - for standard output")
    .addHelpText('after', examples(['parley save 12', 'parley save 12 --out birth-certificate.pdf', 'parley save 12 --out - | sha256sum']));
  cmd.action(
    action(async (ctx, seqText: string) => {
      const o = cmd.opts() as { out?: string };
      if (!/^\d{1,15}$/.test(seqText)) throw new UsageError(`<seq> must be the event's sequence number (status --json lists each document's seq), not ${JSON.stringify(seqText)}`);
      const seq = Number(seqText);
      const session = await ctx.session();
      const entry = session.view.entries[seq];
      if (!entry) throw new UsageError(`the channel has no event at seq ${seq} (its last is ${session.view.entries.length - 1})`);
      if (entry.readability !== 'opened') {
        throw new UsageError(`the event at seq ${seq} (${entry.envelope.type}) holds nothing you can read: ${entry.readability.replace('_', ' ')}`);
      }
      let doc;
      try {
        doc = sharedDocument(entry.content);
      } catch (err) {
        throw new UsageError(`the event at seq ${seq} holds a document that cannot be saved: ${(err as Error).message}`);
      }
      if (!doc) throw new UsageError(`the event at seq ${seq} (${entry.envelope.type}) holds no document`);
      const unsafe = o.out === undefined ? defaultNameProblem(doc.name) : null;
      if (unsafe) throw new UsageError(`its sender named the document ${JSON.stringify(doc.name)}, ${unsafe}: give --out <file>`);
      const out = o.out ?? doc.name;
      if (out === '-') {
        // Another party's bytes could drive the terminal (escape sequences): into a pipe or a file only.
        if (process.stdout.isTTY) throw new UsageError('standard output is a terminal: redirect it (> file, | command) or give --out <file>');
        process.stdout.write(doc.bytes);
        return;
      }
      const fd = createNewFile(out, 'save', o.out === undefined ? `${out} (the name its sender gave)` : `--out ${out}`);
      try {
        writeFileSync(fd, doc.bytes);
      } catch (err) {
        rmSync(out, { force: true }); // no cut document left behind to pass for the whole
        throw new UsageError(`${out}: cannot write it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      } finally {
        closeSync(fd);
      }
      const said = { ok: true, seq, name: doc.name, size: doc.bytes.length, out };
      // The name is the sender's text: one line, so that it cannot pass for a line of ours.
      ctx.out.result(said, () => `saved ${printable(doc.name, true)} (${doc.bytes.length} bytes, shared by ${entry.envelope.sender} at seq ${seq}) to ${printable(out, true)}`);
    }),
  );
}
