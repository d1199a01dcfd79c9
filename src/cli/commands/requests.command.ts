import { Command, Option } from 'commander';
import { DISPLAY_STATUSES } from '../../protocol';
import { action, withCommonOptions } from '../support/cli-context';
import { examples } from '../support/event-command';
import { itemsTable, withNames } from '../support/read-model';

export function register(program: Command): void {
  const cmd = withCommonOptions(
    program.command('requests').description("Open requests in your channels (the server's read model), with the names you can decrypt"),
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
      const named = await withNames(ctx, items);
      ctx.out.result({ items: named }, () => itemsTable(`Requests (${status})`, named, ['request', 'channel', 'party', 'holder', 'category', 'status', 'person']));
    }),
  );
}
