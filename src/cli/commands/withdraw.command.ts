import { Command, Option } from 'commander';
import { WithdrawReason } from '../../protocol';
import { draft } from '../../client';
import { UsageError } from '../support/cli-errors';
import { findRequestOrProposal, noteOptions, optionalNote, registerEventCommand } from '../support/event-command';

interface WithdrawOptions {
  reason?: WithdrawReason;
  note?: string;
  content?: string;
}

export function register(program: Command): void {
  registerEventCommand<WithdrawOptions>(program, {
    name: 'withdraw <id>',
    summary: "Withdraw your party's request (with a reason) or proposal",
    examples: ['parley withdraw e1223ea9 --reason duplicate --note "duplicate of 42505acb"', 'parley withdraw 7f10312f'],
    options: (cmd) => {
      cmd.addOption(new Option('--reason <reason>', 'why a request is withdrawn (default other); a proposal takes none').choices(['duplicate', 'resolved-elsewhere', 'other']));
      noteOptions(cmd);
    },
    draft: ({ state, options, args: [ref] }) => {
      const body = optionalNote(options);
      const found = findRequestOrProposal(state, ref);
      if ('proposal' in found) {
        // ProposalWithdrawn has no reason in its meta: one given would be silently lost.
        if (options.reason !== undefined) throw new UsageError('--reason is for a request; a proposal is withdrawn without one (say why with --note)');
        return draft('ProposalWithdrawn', { proposal: found.proposal.id }, body);
      }
      return draft('RequestWithdrawn', { request: found.request.id, reason: options.reason ?? 'other' }, body);
    },
  });
}
