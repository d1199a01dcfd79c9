import { Command } from 'commander';
import { draft } from '../../client';
import { contentFile, list, registerEventCommand } from '../support/event-command';

interface MessageOptions {
  to?: string;
  content?: string;
}

export function register(program: Command): void {
  registerEventCommand<MessageOptions>(program, {
    name: 'message <text>',
    summary: 'Post an encrypted message to all parties, or with --to to some of them (a back channel)',
    examples: ['parley message "Can we meet on Tuesday?"', 'parley message "Back channel: the first two cases?" --to ru'],
    options: (cmd) => cmd.option('--to <parties>', 'comma-separated party ids (your own party is always included)').option('--content <file>', 'extra encrypted fields, JSON'),
    draft: ({ state, keys, options, args: [text] }) => {
      const to = options.to ? list(options.to) : [...state.parties.keys()];
      const audience = [...new Set([...to, keys.party])].sort();
      return draft('MessagePosted', { audience }, { ...contentFile(options.content), text });
    },
  });
}
