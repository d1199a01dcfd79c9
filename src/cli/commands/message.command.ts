import { Command } from 'commander';
import { draft } from '../../client';
import { auditorsBeyondAudience } from '../../protocol';
import { UsageError } from '../support/cli-errors';
import { contentFile, contentOption, list, registerEventCommand } from '../support/event-command';
import { standardInput } from '../support/standard-input';

interface MessageOptions {
  to?: string;
  content?: string;
  allowAuditors?: boolean;
}

export function register(program: Command): void {
  registerEventCommand<MessageOptions>(program, {
    name: 'message <text>',
    // <text> may be - (standard input): off the command line, where the process list and shell history keep it.
    summary: 'Post an encrypted message to all parties, or with --to to some of them (a back channel)',
    examples: ['parley message "Can we meet on Tuesday?"', 'parley message "Back channel: the first two cases?" --to ru', 'parley message - --to ru < note.txt   # the text from standard input'],
    options: (cmd) =>
      cmd
        .option('--to <parties>', 'comma-separated party ids (your own party is always included)')
        .addOption(contentOption('extra encrypted fields, JSON'))
        .option('--allow-auditors', 'send even though an auditor of a side or mediator left out by --to will read it'),
    check: (options, [text]) => {
      if (text === '-' && options.content === '-') throw new UsageError('standard input can be the text (-) or --content -, not both');
      if (text === '-') standardInput(); // now, before a passphrase prompt may want the terminal
    },
    draft: ({ state, keys, options, args: [given] }) => {
      // `-`: the text from standard input, without the newline that ends its last line.
      const text = given === '-' ? standardInput().replace(/\r?\n$/, '') : given;
      const to = options.to ? list(options.to) : [...state.parties.keys()];
      const audience = [...new Set([...to, keys.party])].sort();
      const outside = auditorsBeyondAudience(state, audience);
      if (outside.length > 0 && !options.allowAuditors) {
        // The protocol requires sealing to them (auditorsRead), so the only safe default is not to send.
        const who = outside.map((a) => `${a.id} (an auditor of ${a.party})`).join(', ');
        throw new UsageError(
          `not sent: ${who} would read this message too, because the channel lets every auditor read every message, ` +
            `and ${[...new Set(outside.map((a) => a.party))].join(', ')} is not in its audience. Send it anyway with --allow-auditors`,
        );
      }
      return draft('MessagePosted', { audience }, { ...contentFile(options.content), text });
    },
  });
}
