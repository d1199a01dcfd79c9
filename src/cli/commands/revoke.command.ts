import { rmSync } from 'node:fs';
import { Command } from 'commander';
import { generateIdentity, makeParticipant, Participant, safetyNumber, fingerprint, violation } from '../../protocol';
import { draft, RuleViolationError } from '../../client';
import { writeKeystore } from '../../client/keystore-file';
import { action, withCommonOptions } from '../support/cli-context';
import { UsageError } from '../support/cli-errors';
import { examples, optionalNote, noteOptions, reportSubmitted } from '../support/event-command';

interface RevokeOptions {
  replacementId?: string;
  replacementKeystore?: string;
  note?: string;
  content?: string;
}

export function register(program: Command): void {
  const cmd = withCommonOptions(
    program.command('revoke <participant>').description('Revoke a participant of your party, or yourself; with --replacement-id, rotate to a new key pair'),
  )
    .option('--replacement-id <id>', 'key rotation: the new participant id (same party and role)')
    .option('--replacement-keystore <file>', 'where the new keys are written, encrypted with the same passphrase');
  noteOptions(cmd);
  cmd.addHelpText('after', examples([
    'parley revoke ru.deputy --note "Left the delegation."',
    'parley revoke ua.lead --replacement-id ua.lead2 --replacement-keystore ua-lead2.keystore --note "Key rotation."',
  ]));
  cmd.action(
    action(async (ctx, target: string) => {
      const o = cmd.opts() as RevokeOptions;
      if (!o.replacementId !== !o.replacementKeystore) throw new UsageError('key rotation needs both --replacement-id and --replacement-keystore');
      const session = await ctx.session();
      const current = session.state.participants.get(target);
      if (!current) throw new RuleViolationError(violation('invalid_transition', `no participant ${target} in this channel`));
      let replacement: Participant | undefined;
      if (o.replacementId && o.replacementKeystore) {
        const identity = generateIdentity();
        replacement = makeParticipant(session.channel, identity, { id: o.replacementId, party: current.party, role: current.role });
        // The new keys are safe on disk before the event that makes them count is sent.
        writeKeystore(
          o.replacementKeystore,
          { id: o.replacementId, party: current.party, role: current.role, signSeed: identity.signSeed, boxSecret: identity.boxSecret, channels: [session.channel] },
          await ctx.passphrase(),
          { overwrite: false },
        );
      }
      const meta = { participant: target, ...(replacement && { replacement }) };
      let submitted;
      try {
        submitted = await session.submit(() => draft('ParticipantRevoked', meta, optionalNote(o)));
      } catch (err) {
        if (o.replacementKeystore && replacement) rmSync(o.replacementKeystore, { force: true }); // keys no channel knows
        throw err;
      }
      const extra: Record<string, string> = replacement
        ? { replacement: replacement.id, keystore: o.replacementKeystore!, safetyNumber: safetyNumber(fingerprint(replacement)) }
        : {};
      reportSubmitted(ctx, submitted, extra);
    }),
  );
}
