/**
 * The `parley` command. Each subcommand lives in `commands/<name>.command.ts` and exports
 * `register(program)`; they are discovered here so that commands can be added without
 * editing a central list.
 */
import { Command } from 'commander';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeFailure, EXIT, printFailure } from './support/cli-errors';

export interface CliCommandModule {
  register(program: Command): void;
}

/** `json`: the command line asks for --json, so that a usage error is reported as JSON too. */
export function buildProgram(options: { json?: boolean } = {}): Command {
  const program = new Command('parley')
    .description('Parley: signed, end-to-end encrypted negotiation channels')
    .version(packageVersion(), '--version', 'print the version')
    .showHelpAfterError()
    // Commander's own errors (a missing option, a bad choice) in the form of every other
    // failure; the help it shows after them stays on standard error.
    .configureOutput({ outputError: (text) => printFailure({ exit: EXIT.usage, code: 'usage', message: text.replace(/^error: /, '').trim() }, options.json ?? false) })
    .addHelpText('after', HELP_AFTER)
    // Before the commands are added, so that they inherit it: a usage error exits 2.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage));
  const dir = join(__dirname, 'commands');
  const ext = __filename.endsWith('.ts') ? '.command.ts' : '.command.js';
  for (const file of readdirSync(dir).filter((f) => f.endsWith(ext)).sort()) {
    (require(join(dir, file)) as CliCommandModule).register(program);
  }
  return program;
}

/** The version in the nearest package.json above this file (src/cli or dist/src/cli). */
function packageVersion(): string {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

/** Exit codes: 0 ok, 1 a verdict or refusal (violations, 4xx), 2 unusable input or arguments, 3 server unreachable, 141 output closed. */
export { EXIT };

const HELP_AFTER = `
Exit codes:
  ${EXIT.ok}  ok
  ${EXIT.refused}  refused: a rule violation (checked locally or by the server), a 4xx answer, a log that does not verify
  ${EXIT.usage}  unusable input or arguments, or a keystore that does not open (wrong passphrase)
  ${EXIT.unreachable}  the server cannot be reached, or is failing for now (5xx, unavailable): try again later
  ${EXIT.outputClosed}  the reader of standard output went away (as after SIGPIPE: parley tail | head -1)

Environment:
  PARLEY_SERVER      server URL (default http://127.0.0.1:3000), as --server
  PARLEY_KEYSTORE    your keystore file, as --keystore
  PARLEY_PASSPHRASE  the keystore passphrase, when no --passphrase-file is given (else a prompt)
  PARLEY_CHANNEL     the channel, as --channel
  PARLEY_KEYSTORE_SCRYPT_N  scrypt cost for new keystores (power of two; default 131072; lower only for tests)
  PARLEY_PROGRESS_DELAY_MS  after how long a command's read of a long channel shows its progress on a terminal (default 1000)

Errors print the server's error code and message: parley: <code>: <message>.
Run \`parley <command> --help\` for a command's options and examples.`;

/**
 * Runs the command line and exits once the output is flushed. The explicit exit matters:
 * Node's fetch keeps the process alive for a few hundred ms after the last request.
 */
export async function run(argv: string[]): Promise<never> {
  // Whoever reads the output went away (`parley tail | head -1`): the command ends there,
  // quietly, with the status a shell gives a command SIGPIPE ended, not a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(EXIT.outputClosed);
  });
  // `parley audit --sign` also answers with one JSON document, its failures included.
  const json = argv.includes('--json') || argv.includes('--sign');
  try {
    await buildProgram({ json }).parseAsync(argv);
  } catch (err) {
    const failure = describeFailure(err);
    printFailure(failure, json);
    process.exitCode = failure.exit;
  }
  const code = typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  await new Promise<void>((resolve) => process.stdout.write('', () => process.stderr.write('', () => resolve())));
  process.exit(code);
}

if (require.main === module) void run(process.argv);
