import { Command } from 'commander';
import { draft } from '../../client';
import { UsageError } from '../support/cli-errors';
import { findProposal, noteOptions, optionalNote, registerEventCommand } from '../support/event-command';

export function register(program: Command): void {
  registerEventCommand<{ note?: string; content?: string }>(program, {
    name: 'accept <proposal>',
    summary: "Accept a pending proposal for your party (bound to the proposal's hash); the notary agrees the transfer once the channel's quorum has: every side (quorum sides), or every side and mediator (quorum all)",
    examples: ['parley accept 0d3075a3', 'parley accept 0d3075a3 --note "Agreed for ua."'],
    options: (cmd) => noteOptions(cmd),
    draft: ({ state, view, options, args: [ref] }) => {
      const p = findProposal(state, ref);
      const terms = view.entries[p.submitted.seq];
      if (terms?.readability === 'bad_body') {
        throw new UsageError(
          `proposal ${p.id.slice(0, 8)}'s terms are addressed to you but do not open (${terms.problem}): its sender sealed them wrongly. ` +
            'Accepting terms you cannot read is refused: reject it, or ask for it to be proposed again',
        );
      }
      return draft('ProposalAccepted', { proposal: p.id, proposalHash: p.submitted.hash }, optionalNote(options));
    },
  });
}
