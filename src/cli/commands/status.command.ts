import { Command } from 'commander';
import { summarizeChannel } from '../../client';
import { action, withCommonOptions } from '../support/cli-context';
import { examples } from '../support/event-command';
import { statusTables } from '../support/status-tables';

export function register(program: Command): void {
  const cmd = withCommonOptions(
    program.command('status').description('The channel as you can read it: every event verified locally, contents decrypted where you are a recipient'),
  ).addHelpText('after', examples(['parley status', 'parley status --channel 82fd7cdf-2cdb-4b4a-ac0b-62b6f56f8c6f --json']));
  cmd.action(
    action(async (ctx) => {
      const session = await ctx.session();
      const summary = summarizeChannel(session.view);
      ctx.out.result(summary, () => statusTables(summary));
    }),
  );
}
