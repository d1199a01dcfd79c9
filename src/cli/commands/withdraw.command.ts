import { Command, Option } from 'commander';
import { WithdrawReason } from '../../protocol';
import { draft } from '../../client';
import { findRequestOrProposal, noteOptions, optionalNote, registerEventCommand } from '../support/event-command';

interface WithdrawOptions {
  reason: WithdrawReason;
  note?: string;
  content?: string;
}

export function register(program: Command): void {
  registerEventCommand<WithdrawOptions>(program, {
    name: 'withdraw <id>',
    summary: "Withdraw your party's request (with a reason) or proposal",
    examples: ['parley withdraw e1223ea9 --reason duplicate --note "duplicate of 42505acb"', 'parley withdraw 7f10312f'],
    options: (cmd) => {
      cmd.addOption(new Option('--reason <reason>', 'why a request is withdrawn').choices(['duplicate', 'resolved-elsewhere', 'other']).default('other'));
      noteOptions(cmd);
    },
    draft: ({ state, options, args: [ref] }) => {
      const body = optionalNote(options);
      const found = findRequestOrProposal(state, ref);
      if ('proposal' in found) return draft('ProposalWithdrawn', { proposal: found.proposal.id }, body);
      return draft('RequestWithdrawn', { request: found.request.id, reason: options.reason }, body);
    },
  });
}
