import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { isUuid, makeParticipant, parseStrictJson, Participant, Party, Policy } from '../../protocol';
import { ChannelSession, draft } from '../../client';
import { action, withCommonOptions } from '../support/cli-context';
import { UsageError } from '../support/cli-errors';
import { examples, reportSubmitted } from '../support/event-command';

/** The file `channel open` reads. The opener's own record is added when it is missing. */
interface ChannelFile {
  channel: string;
  title: string;
  mandate: string;
  parties: Party[];
  participants: Participant[];
  policy: Policy;
}

export function register(program: Command): void {
  const channel = program
    .command('channel')
    .description('Create and open channels')
    .addHelpText('after', examples(['parley channel new-id', 'parley channel open --keystore ua-lead.keystore --file channel.json']));

  channel
    .command('new-id')
    .description('Print a fresh channel id: participants sign their records for it (whoami --record) before it is opened')
    .addHelpText('after', examples(['CHANNEL=$(parley channel new-id) && parley whoami --keystore ru-lead.keystore --record $CHANNEL > ru-lead.record.json']))
    .action(() => {
      process.stdout.write(randomUUID() + '\n');
    });

  const open = withCommonOptions(channel.command('open').description('Open a channel from a JSON file of parties, participant records and policy'), { channel: false })
    .requiredOption('--file <file>', 'the channel file: { channel, title, mandate, parties, participants, policy }')
    .addHelpText('after', [
      examples(['parley channel open --keystore ua-lead.keystore --file channel.json']),
      '',
      'channel.json:',
      '  { "channel": "<uuid>", "title": "Return of children", "mandate": "...",',
      '    "parties": [{"id":"ua","kind":"side"},{"id":"ru","kind":"side"},{"id":"us","kind":"mediator"}],',
      '    "participants": [ <records from `parley whoami --record <uuid>`> ],',
      '    "policy": {"quorum":"sides","auditorsRead":false} }',
      'Party kinds: side, mediator, observer (at least two sides). Roles: negotiator, observer, auditor.',
      'policy.quorum: "sides" (every side accepts a proposal) or "all" (every side and mediator).',
      'policy.auditorsRead: true seals every event to the active auditors too; false keeps content from them.',
      'The notary key is fetched from the server (GET /v1/notary).',
    ].join('\n'));
  open.action(
    action(async (ctx) => {
      const spec = readChannelFile((open.opts() as { file: string }).file);
      const keys = await ctx.keys();
      const participants = spec.participants.some((p) => p.id === keys.id)
        ? spec.participants
        : [...spec.participants, makeParticipant(spec.channel, keys.identity, { id: keys.id, party: keys.party, role: keys.role })];
      const notary = await ctx.unsignedHttp().notary();
      const session = new ChannelSession(await ctx.http(), keys, spec.channel);
      const meta = { parties: spec.parties, participants, notary: { signKey: notary.signKey }, policy: spec.policy };
      const submitted = await session.open(draft('ChannelOpened', meta, { title: spec.title, mandate: spec.mandate }));
      await ctx.remember(spec.channel);
      // The opening this key just signed: a server serving another one later (other keys) is caught.
      await ctx.rememberHead(session);
      reportSubmitted(ctx, submitted, { channel: spec.channel });
    }),
  );
}

function readChannelFile(path: string): ChannelFile {
  let doc: Record<string, unknown>;
  try {
    doc = parseStrictJson(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--file ${path}: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  if (!isUuid(doc.channel)) problems.push('"channel" must be a lowercase uuid');
  if (typeof doc.title !== 'string') problems.push('"title" must be a string');
  if (typeof doc.mandate !== 'string') problems.push('"mandate" must be a string');
  if (!Array.isArray(doc.parties)) problems.push('"parties" must be a list of {id, kind}');
  if (!Array.isArray(doc.participants)) problems.push('"participants" must be a list of participant records');
  if (typeof doc.policy !== 'object' || doc.policy === null) problems.push('"policy" must be {quorum, auditorsRead}');
  if (problems.length) throw new UsageError(`${path}: ${problems.join('; ')}`);
  // The rest (kinds, proofs, negotiators per party) is the rule engine's to judge, before sending.
  return doc as unknown as ChannelFile;
}
