import { Command } from 'commander';
import { draft } from '../../client';
import { findProposal, noteOptions, optionalNote, registerEventCommand } from '../support/event-command';

export function register(program: Command): void {
  registerEventCommand<{ reason?: string; content?: string }>(program, {
    name: 'reject <proposal>',
    summary: 'Reject a pending proposal for your party',
    examples: ['parley reject 3221395a --reason "Both together, please."'],
    options: (cmd) => noteOptions(cmd, 'reason'),
    draft: ({ state, options, args: [ref] }) => {
      const p = findProposal(state, ref);
      return draft('ProposalRejected', { proposal: p.id, proposalHash: p.submitted.hash }, optionalNote({ note: options.reason, content: options.content }, 'reason'));
    },
  });
}
