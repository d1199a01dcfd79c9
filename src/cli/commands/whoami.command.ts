import { Command } from 'commander';
import { isUuid, makeParticipant, safetyNumber } from '../../protocol';
import { action, withCommonOptions } from '../support/cli-context';
import { UsageError } from '../support/cli-errors';
import { examples } from '../support/event-command';

export function register(program: Command): void {
  const cmd = withCommonOptions(program.command('whoami').description('Show who your keystore holds, with the safety number to compare out of band'), { channel: false, server: false })
    .option('--record <channel>', 'print your signed participant record for joining this channel (and remember the channel)')
    .addHelpText('after', examples([
      'parley whoami --keystore ua-lead.keystore',
      'parley whoami --keystore ru-deputy.keystore --record 82fd7cdf-2cdb-4b4a-ac0b-62b6f56f8c6f --json > ru-deputy.record.json',
    ]));
  cmd.action(
    action(async (ctx) => {
      const keys = await ctx.keys();
      const channel = (cmd.opts() as { record?: string }).record;
      if (channel !== undefined) {
        if (!isUuid(channel)) throw new UsageError(`--record needs a lowercase uuid, not ${channel}`);
        const record = makeParticipant(channel, keys.identity, { id: keys.id, party: keys.party, role: keys.role });
        await ctx.remember(channel);
        // The record is the document others put in a channel file or admit: always JSON.
        process.stdout.write(JSON.stringify(record, null, ctx.out.json ? undefined : 2) + '\n');
        return;
      }
      const { id, party, role, fingerprint, channels } = keys;
      const { signKey, boxKey } = keys.identity;
      // auditorEntry: this key as a server's operator lists it in PARLEY_AUDITORS (global auditors).
      ctx.out.result({ id, party, role, fingerprint, safetyNumber: safetyNumber(fingerprint), signKey, boxKey, auditorEntry: `${signKey}:${boxKey}`, channels }, () =>
        [
          `${id}, ${role} of party ${party}`,
          `Safety number: ${safetyNumber(fingerprint)}`,
          `Channels: ${channels.length ? channels.join(', ') : 'none yet'}`,
        ].join('\n'),
      );
    }),
  );
}
