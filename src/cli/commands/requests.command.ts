import { Command, Option } from 'commander';
import { DISPLAY_STATUSES } from '../../protocol';
import { action, withCommonOptions } from '../support/cli-context';
import { examples } from '../support/event-command';
import { matchesRequestStatus } from '../../projections/read-model-rows';
import { itemsTable, verifiedListing, warnIfDisputed } from '../support/read-model';

export function register(program: Command): void {
  const cmd = withCommonOptions(
    program.command('requests').description('Open requests in your channels, from their verified logs, with the names you can decrypt'),
    { channel: false },
  )
    .addOption(
      new Option('--status <status>', 'open (every request not reunited or withdrawn), or an exact status').choices(DISPLAY_STATUSES).default('open'),
    )
    .addHelpText('after', examples(['parley requests', 'parley requests --status withdrawn --json']));
  cmd.action(
    action(async (ctx) => {
      const { status } = cmd.opts() as { status: string };
      const { items } = await (await ctx.http()).requests(status);
      const listing = await verifiedListing(ctx, items, (rows) => rows.requests.filter((r) => matchesRequestStatus(r, status)));
      if (!ctx.out.json) warnIfDisputed(listing);
      ctx.out.result(listing, () => itemsTable(`Requests (${status})`, listing.items, ['request', 'channel', 'party', 'holder', 'category', 'status', 'person']));
    }),
  );
}
