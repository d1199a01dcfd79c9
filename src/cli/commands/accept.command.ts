import { Command } from 'commander';
import { draft } from '../../client';
import { findProposal, noteOptions, optionalNote, registerEventCommand } from '../support/event-command';

export function register(program: Command): void {
  registerEventCommand<{ note?: string; content?: string }>(program, {
    name: 'accept <proposal>',
    summary: "Accept a pending proposal for your party (bound to the proposal's hash); the notary agrees the transfer once every side has",
    examples: ['parley accept 0d3075a3', 'parley accept 0d3075a3 --note "Agreed for ua."'],
    options: (cmd) => noteOptions(cmd),
    draft: ({ state, options, args: [ref] }) => {
      const p = findProposal(state, ref);
      return draft('ProposalAccepted', { proposal: p.id, proposalHash: p.submitted.hash }, optionalNote(options));
    },
  });
}
