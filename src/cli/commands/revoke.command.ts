import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { generateIdentity, makeParticipant, Participant, safetyNumber, fingerprint, violation } from '../../protocol';
import { draft, RuleViolationError } from '../../client';
import { writeKeystore } from '../../client/keystore-file';
import { action, withCommonOptions } from '../support/cli-context';
import { UsageError } from '../support/cli-errors';
import { examples, optionalNote, noteOptions, reportSubmitted } from '../support/event-command';
import { printable } from '../support/output';

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
      let identity: ReturnType<typeof generateIdentity> | undefined;
      const newKeystore = o.replacement ? (o.replacementKeystore ?? join(dirname(ctx.keystorePath), `${o.replacement}.keystore`)) : null;
      if (o.replacement) {
        identity = generateIdentity();
        replacement = makeParticipant(session.channel, identity, { id: o.replacement, party: current.party, role: current.role });
      }
      const meta = { participant: target, ...(replacement && { replacement }) };
      const make = () => draft('ParticipantRevoked', meta, optionalNote(o));
      // Refused here, before any keys are written or anything is sent.
      const local = session.precheck(make());
      if (local) throw new RuleViolationError(local);
      if (replacement && identity && newKeystore) {
        // The new keys are safe on disk before the event that makes them count is sent. They
        // remember the head this command verified, as the old keys do: the new key's first
        // read is then held to it, not trusted as a stranger's (a server could otherwise show
        // it another channel history, with keys of its own).
        const head = session.view.entries.at(-1)!;
        writeKeystore(
          newKeystore,
          {
            id: replacement.id,
            party: current.party,
            role: current.role,
            signSeed: identity.signSeed,
            boxSecret: identity.boxSecret,
            channels: [session.channel],
            seen: { [session.channel]: { seq: head.seq, hash: head.hash } },
          },
          await ctx.passphrase(),
          { overwrite: false },
        );
      }
      let submitted;
      try {
        submitted = await session.submit(make);
      } catch (err) {
        // Once the rotation was sent, no answer proves it was not stored: a server (or a
        // proxy) may store it and answer a refusal. Deleting the new keys then would leave
        // the party with a revoked key and none to replace it, so they always stay.
        if (newKeystore) {
          process.stderr.write(
            printable(`parley: the new keys stay in ${newKeystore}: \`parley status\` shows whether the rotation was stored (if ${replacement!.id} is not listed, the file may be deleted)`, true) + '\n',
          );
        }
        throw err;
      }
      await ctx.rememberHead(session);
      const extra: Record<string, string> = replacement
        ? { replacement: replacement.id, keystore: newKeystore!, safetyNumber: safetyNumber(fingerprint(replacement)) }
        : {};
      reportSubmitted(ctx, submitted, extra);
    }),
  );
}
