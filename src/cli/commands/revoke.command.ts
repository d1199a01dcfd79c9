import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { generateIdentity, makeParticipant, Participant, safetyNumber, fingerprint, violation } from '../../protocol';
import { ApiError, draft, RetriesExhaustedError, RuleViolationError } from '../../client';
import { writeKeystore } from '../../client/keystore-file';
import { action, withCommonOptions } from '../support/cli-context';
import { UsageError } from '../support/cli-errors';
import { examples, optionalNote, noteOptions, reportSubmitted } from '../support/event-command';

interface RevokeOptions {
  replacement?: string;
  replacementKeystore?: string;
  note?: string;
  content?: string;
}

export function register(program: Command): void {
  const cmd = withCommonOptions(
    program.command('revoke <participant>').description('Revoke a participant of your party, or yourself; with --replacement, rotate to a new key pair'),
  )
    .option('--replacement <id>', 'key rotation: the new participant id (same party and role)')
    .option('--replacement-keystore <file>', 'where the new keys go, encrypted with the same passphrase (default: <id>.keystore beside yours)');
  noteOptions(cmd);
  cmd.addHelpText('after', examples([
    'parley revoke ru.deputy --note "Left the delegation."',
    'parley revoke ua.lead --replacement ua.lead2 --replacement-keystore ua-lead2.keystore --note "Key rotation."',
  ]));
  cmd.action(
    action(async (ctx, target: string) => {
      const o = cmd.opts() as RevokeOptions;
      if (o.replacementKeystore && !o.replacement) throw new UsageError('--replacement-keystore needs --replacement <id>');
      const session = await ctx.session();
      const current = session.state.participants.get(target);
      if (!current) throw new RuleViolationError(violation('invalid_transition', `no participant ${target} in this channel`));
      let replacement: Participant | undefined;
      const newKeystore = o.replacement ? (o.replacementKeystore ?? join(dirname(ctx.keystorePath), `${o.replacement}.keystore`)) : null;
      if (o.replacement && newKeystore) {
        const identity = generateIdentity();
        replacement = makeParticipant(session.channel, identity, { id: o.replacement, party: current.party, role: current.role });
        // The new keys are safe on disk before the event that makes them count is sent.
        writeKeystore(
          newKeystore,
          { id: o.replacement, party: current.party, role: current.role, signSeed: identity.signSeed, boxSecret: identity.boxSecret, channels: [session.channel] },
          await ctx.passphrase(),
          { overwrite: false },
        );
      }
      const meta = { participant: target, ...(replacement && { replacement }) };
      let submitted;
      try {
        submitted = await session.submit(() => draft('ParticipantRevoked', meta, optionalNote(o)));
      } catch (err) {
        // Only a definite refusal proves no channel knows the new keys; after a lost answer
        // the rotation may have been stored, and deleting them could lock the party out.
        const refused = err instanceof RuleViolationError || err instanceof RetriesExhaustedError || (err instanceof ApiError && err.status < 500);
        if (newKeystore && refused) rmSync(newKeystore, { force: true });
        else if (newKeystore) process.stderr.write(`parley: the new keys stay in ${newKeystore}: check with \`parley status\` whether the rotation was stored\n`);
        throw err;
      }
      const extra: Record<string, string> = replacement
        ? { replacement: replacement.id, keystore: newKeystore!, safetyNumber: safetyNumber(fingerprint(replacement)) }
        : {};
      reportSubmitted(ctx, submitted, extra);
    }),
  );
}
