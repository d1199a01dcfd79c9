import { Command } from 'commander';
import { draft } from '../../client';
import { contentFile, contentOption, findProposal, registerEventCommand } from '../support/event-command';

export function register(program: Command): void {
  registerEventCommand<{ reason: string; content?: string }>(program, {
    name: 'cancel <proposal>',
    summary: 'Cancel an agreed transfer before anyone is released; its requests return to open',
    examples: ['parley cancel 0d3075a3 --reason "Crossing closed."'],
    options: (cmd) => cmd.requiredOption('--reason <text>', 'why (encrypted)').addOption(contentOption('extra encrypted fields, JSON')),
    draft: ({ state, options, args: [ref] }) =>
      draft('TransferCancelled', { proposal: findProposal(state, ref).id }, { ...contentFile(options.content), reason: options.reason }),
  });
}
