import { Command } from 'commander';
import { action, withCommonOptions } from '../support/cli-context';
import { examples } from '../support/event-command';
import { itemsTable, withNames } from '../support/read-model';

export function register(program: Command): void {
  const cmd = withCommonOptions(
    program.command('reunifications').description("Completed reunifications in your channels (the server's read model), with the names you can decrypt"),
    { channel: false },
  ).addHelpText('after', examples(['parley reunifications', 'parley reunifications --json']));
  cmd.action(
    action(async (ctx) => {
      const { items } = await (await ctx.http()).reunifications();
      const named = await withNames(ctx, items);
      ctx.out.result({ items: named }, () => itemsTable('Reunifications', named, ['request', 'channel', 'party', 'holder', 'transfer', 'person']));
    }),
  );
}
