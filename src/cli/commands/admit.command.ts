import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parseStrictJson, Participant } from '../../protocol';
import { draft } from '../../client';
import { UsageError } from '../support/cli-errors';
import { noteOptions, optionalNote, registerEventCommand } from '../support/event-command';

interface AdmitOptions {
  record: string;
  note?: string;
  content?: string;
}

export function register(program: Command): void {
  registerEventCommand<AdmitOptions>(program, {
    name: 'admit',
    summary: "Admit a participant of your party from its signed record (made with `parley whoami --record <channel>`)",
    examples: ['parley admit --record ru-deputy.record.json --note "Deputy joins."'],
    options: (cmd) => {
      cmd.requiredOption('--record <file>', 'the participant record, JSON');
      noteOptions(cmd);
    },
    draft: ({ options }) => draft('ParticipantAdmitted', { participant: readRecord(options.record) }, optionalNote(options)),
  });
}

export function readRecord(path: string): Participant {
  try {
    return parseStrictJson(readFileSync(path, 'utf8')) as unknown as Participant;
  } catch (err) {
    throw new UsageError(`--record ${path}: ${(err as Error).message}`);
  }
}
