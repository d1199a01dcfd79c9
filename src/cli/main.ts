/**
 * The `parley` command. Each subcommand lives in `commands/<name>.command.ts` and exports
 * `register(program)`; they are discovered here so that commands can be added without
 * editing a central list.
 */
import { Command } from 'commander';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface CliCommandModule {
  register(program: Command): void;
}

export function buildProgram(): Command {
  const program = new Command('parley')
    .description('Parley: signed, end-to-end encrypted negotiation channels')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  const dir = join(__dirname, 'commands');
  const ext = __filename.endsWith('.ts') ? '.command.ts' : '.command.js';
  for (const file of readdirSync(dir).filter((f) => f.endsWith(ext)).sort()) {
    (require(join(dir, file)) as CliCommandModule).register(program);
  }
  return program;
}

/** Exit codes: 0 ok, 1 a verdict or refusal (violations, 4xx), 2 unusable input or arguments, 3 server unreachable. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

if (require.main === module) {
  buildProgram()
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.usage))
    .parseAsync(process.argv)
    .catch((err: Error) => {
      process.stderr.write(`parley: ${err.message}\n`);
      process.exit(EXIT.usage);
    });
}
