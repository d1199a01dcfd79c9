import { Command } from 'commander';
import { ApiError, ChannelIntegrityError, ViewEntry } from '../../client';
import { action, withCommonOptions } from '../support/cli-context';
import { UsageError } from '../support/cli-errors';
import { examples } from '../support/event-command';
import { eventLine } from '../support/event-lines';
import { printable } from '../support/output';

export function register(program: Command): void {
  const cmd = withCommonOptions(
    program.command('tail').description('Follow the channel live (Server-Sent Events): each event verified and, where you can, decrypted'),
  )
    .option('--last <n>', 'first show the last n events already in the channel', '10')
    .option('--count <n>', 'stop after n new events (default: follow until interrupted)')
    .addHelpText('after', examples(['parley tail', 'parley tail --last 0 --count 1 --json']));
  cmd.action(
    action(async (ctx) => {
      const o = cmd.opts() as { last: string; count?: string };
      const last = count(o.last, '--last');
      const limit = o.count === undefined ? Infinity : count(o.count, '--count');
      const session = await ctx.session();
      const print = (e: ViewEntry) =>
        process.stdout.write((ctx.out.json ? JSON.stringify({ seq: e.seq, hash: e.hash, readability: e.readability, content: e.content, envelope: e.envelope }) : eventLine(e)) + '\n');
      session.view.entries.slice(Math.max(0, session.view.entries.length - last)).forEach(print);
      if (limit === 0) return;
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      let seen = 0;
      // From here no event can be missed: the stream resumes after the last one read above.
      // Said on stderr so that scripts (and --json readers of stdout) know when to start writing.
      process.stderr.write(`parley: following channel ${session.channel} from seq ${session.state.nextSeq}\n`);
      // Outages are said on stderr too: a silent tail cannot be told from a quiet channel.
      let lost = false;
      const onConnection = (change: { connected: true } | { connected: false; reason: string; retryMs: number }) => {
        if (change.connected && lost) process.stderr.write(`parley: reconnected; following from seq ${session.state.nextSeq}\n`);
        else if (!change.connected) {
          // Later attempts wait longer, up to a minute each; they are not said one by one.
          const next = Math.max(1, Math.round(change.retryMs / 1000));
          process.stderr.write(printable(`parley: lost the stream (${change.reason}); reconnecting (first try in about ${next} s, then less often)…`, true) + '\n');
        }
        lost = !change.connected;
      };
      try {
        for await (const entry of session.follow({ signal: abort.signal, onConnection })) {
          print(entry);
          if (++seen >= limit) {
            abort.abort();
            break;
          }
        }
      } catch (err) {
        // The server no longer holds the last event shown, as after a restore from an older backup.
        if (err instanceof ChannelIntegrityError && err.cause instanceof ApiError) {
          err.message += '. If its operator restored it from a backup, see what was lost with parley status, then take the log as it is now with parley status --accept-restore';
        }
        throw err;
      } finally {
        // Remembered however it ends (Ctrl-C too); the keystore is sealed as the command ends.
        await ctx.rememberHead(session);
      }
    }),
  );
}

function count(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} must be a whole number`);
  return Number(text);
}
