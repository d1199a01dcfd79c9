import { Command } from 'commander';
import { draft } from '../../client';
import { findRequest, noteOptions, optionalNote, registerEventCommand } from '../support/event-command';

export function register(program: Command): void {
  registerEventCommand<{ note?: string; content?: string }>(program, {
    name: 'complete <request>',
    summary: 'Record that a person you requested is reunited with their family (after "received")',
    examples: ['parley complete 42505acb --note "With mother."'],
    options: (cmd) => noteOptions(cmd),
    draft: ({ state, options, args: [ref] }) => draft('ReunificationCompleted', { request: findRequest(state, ref).id }, optionalNote(options)),
  });
}
