import { Command } from 'commander';
import { summarizeChannel } from '../../client';
import { action, withCommonOptions } from '../support/cli-context';
import { examples } from '../support/event-command';
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
      ctx.out.result(given ? { ...summary, restoreAccepted: given } : summary, () => statusTables(summary));
    }),
  );
}
