import { Command } from 'commander';
import { type ChannelSummary, summarizeChannel } from '../../client';
import { safetyNumber } from '../../protocol';
import { action, withCommonOptions } from '../support/cli-context';
import { examples } from '../support/event-command';
import { printable } from '../support/output';
import { statusTables } from '../support/status-tables';

export function register(program: Command): void {
  const cmd = withCommonOptions(
    program.command('status').description('The channel as you can read it: every event verified locally, contents decrypted where you are a recipient'),
  )
    .option(
      '--accept-restore',
      "take the server's log although it does not continue the one this keystore verified before (only after the server's operator says it was restored from a backup)",
    )
    .addHelpText('after', examples(['parley status', 'parley status --channel 82fd7cdf-2cdb-4b4a-ac0b-62b6f56f8c6f --json', 'parley status --accept-restore']));
  cmd.action(
    action(async (ctx) => {
      const session = await ctx.session({ acceptRestore: (cmd.opts() as { acceptRestore?: boolean }).acceptRestore === true });
      const summary = summarizeChannel(session.view);
      const given = ctx.restoreAccepted;
      if (given) {
        // Said on standard error even with --json, so that it is not lost in a pipe.
        process.stderr.write(
          `parley: warning: accepted the server's log as it is now (head seq ${session.view.state.nextSeq - 1}); ` +
            `the event at seq ${given.seq} (hash ${given.hash.slice(0, 16)}…) verified here before is not in it: anything sent since the backup must be sent again\n`,
        );
      }
      const keys = await ctx.keys();
      for (const p of listedForUsByOthers(summary, keys)) {
        process.stderr.write(
          printable(
            `parley: note: ${p.id} (${p.role} of your party ${p.party}) was put in this channel by ${p.listedBy} of another party: ` +
              `compare its safety number (${safetyNumber(p.fingerprint)}) with ${p.id} out of band before relying on what it signs for ${p.party}`,
            true,
          ) + '\n',
        );
      }
      ctx.out.result(given ? { ...summary, restoreAccepted: given } : summary, () => statusTables(summary));
    }),
  );
}

/**
 * Active participants of the reader's party whom someone of another party put in the
 * channel: an opener lists every party's members, and nothing in the protocol lets a party
 * object to one it did not send (DESIGN.md 1.2 proves each member's own consent only).
 */
function listedForUsByOthers(summary: ChannelSummary, me: { id: string; party: string }): ChannelSummary['participants'] {
  const partyOf = new Map(summary.participants.map((p) => [p.id, p.party]));
  return summary.participants.filter(
    (p) => p.party === me.party && p.id !== me.id && p.status === 'active' && p.listedBy !== null && partyOf.get(p.listedBy) !== me.party,
  );
}
