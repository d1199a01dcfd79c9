import { Command } from 'commander';
import { action, withCommonOptions } from '../support/cli-context';
import { examples } from '../support/event-command';
import { itemsTable, verifiedListing, warnIfDisputed } from '../support/read-model';

export function register(program: Command): void {
  const cmd = withCommonOptions(
    program.command('reunifications').description('Completed reunifications in your channels, from their verified logs, with the names you can decrypt'),
    { channel: false },
  ).addHelpText('after', examples(['parley reunifications', 'parley reunifications --json']));
  cmd.action(
    action(async (ctx) => {
      const { items } = await (await ctx.http()).reunifications();
      const listing = await verifiedListing(ctx, items, (rows) => rows.reunifications);
      if (!ctx.out.json) warnIfDisputed(listing);
      ctx.out.result(listing, () => itemsTable('Reunifications', listing.items, ['request', 'channel', 'party', 'holder', 'transfer', 'person']));
    }),
  );
}
