import { Command, InvalidArgumentError, Option } from 'commander';
import { fingerprint, generateIdentity, isParticipantId, isPartyId, ROLES, safetyNumber } from '../../protocol';
import { writeKeystore } from '../../client/keystore-file';
import { action, withCommonOptions } from '../support/cli-context';
import { examples } from '../support/event-command';
import { passphrase } from '../support/passphrase';

export function register(program: Command): void {
  const cmd = withCommonOptions(program.command('keygen').description('Create your keys in a new encrypted keystore (never overwrites one)'), { channel: false, server: false })
    .addOption(new Option('--id <participant>', 'your participant id, e.g. ua.lead').makeOptionMandatory().argParser(checked(isParticipantId, 'a-z, 0-9, "." and "-", not "notary"')))
    .addOption(new Option('--party <party>', 'your party id, e.g. ua').makeOptionMandatory().argParser(checked(isPartyId, 'a-z, 0-9 and "-"')))
    .addOption(new Option('--role <role>', 'your role').choices([...ROLES]).default('negotiator'))
    .addHelpText('after', examples([
      'parley keygen --keystore ua-lead.keystore --id ua.lead --party ua --role negotiator',
      'parley keygen --keystore audit.keystore --id icrc.audit --party icrc --role auditor --passphrase-file pass.txt',
    ]));
  cmd.action(
    action(async (ctx) => {
      const { id, party, role } = cmd.opts() as { id: string; party: string; role: (typeof ROLES)[number] };
      const path = ctx.keystorePath;
      const pass = await passphrase(ctx.options, `the new keystore ${path}`, { confirm: true });
      warnIfShort(pass);
      const { signSeed, boxSecret } = generateIdentity();
      const keys = writeKeystore(path, { id, party, role, signSeed, boxSecret, channels: [] }, pass, { overwrite: false });
      ctx.out.result({ ok: true, keystore: path, id, party, role, fingerprint: keys.fingerprint, signKey: keys.identity.signKey, boxKey: keys.identity.boxKey }, () =>
        [
          `Keys for ${id} (${role} of ${party}) written to ${path}, encrypted.`,
          `Safety number (compare it with the others out of band):`,
          `  ${safetyNumber(fingerprint(keys.identity))}`,
        ].join('\n'),
      );
    }),
  );
}

/**
 * Said, not refused (the owner knows their threat): whoever copies the keystore file can
 * guess its passphrase offline, and scrypt only slows each guess.
 */
const SHORT_PASSPHRASE = 12;
function warnIfShort(pass: string): void {
  const length = [...pass].length;
  if (length < SHORT_PASSPHRASE) {
    process.stderr.write(
      `parley: warning: the passphrase has ${length} characters: whoever copies the keystore file can try guesses offline; ` +
        `${SHORT_PASSPHRASE} or more (four random words, say) resist far longer\n`,
    );
  }
}

/** Refuses an id the protocol would refuse, before the passphrase is asked for. */
function checked(valid: (value: string) => boolean, allowed: string) {
  return (value: string): string => {
    if (!valid(value)) throw new InvalidArgumentError(`Use ${allowed}.`);
    return value;
  };
}
