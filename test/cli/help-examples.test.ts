/**
 * `parley <command> --help` for every command and subcommand the CLI lists: each shows
 * examples, in the one style (`Examples:` then `  $ parley <command> …` lines).
 */
import { parley } from './parley-harness';

jest.setTimeout(60_000);

/** The names under "Commands:" in a help text (without commander's own `help`). */
function commandsIn(help: string): string[] {
  const section = help.split(/\n\n/).find((block) => block.startsWith('Commands:'));
  if (!section) return [];
  return section
    .split('\n')
    .slice(1)
    .map((line) => /^ {2}([a-z][a-z-]*)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
}

describe('parley --help of every command', () => {
  it('given any command or subcommand, then its help ends in examples of that command', async () => {
    const paths: string[][] = [];
    const visit = async (path: string[]): Promise<void> => {
      const help = await parley([...path, '--help'], {});
      expect({ path, code: help.code }).toEqual({ path, code: 0 });
      if (path.length > 0) paths.push(path);
      const examples = /\nExamples:\n((?: {2}\$ .*\n?)+)/.exec(help.stdout);
      if (path.length > 0) {
        expect({ path, examples: examples !== null }).toEqual({ path, examples: true });
        const lines = examples![1].trimEnd().split('\n');
        for (const line of lines) expect(line).toMatch(/^ {2}\$ (parley |[A-Z_]+=)/);
        expect({ path, mentioned: lines.some((l) => l.includes(`parley ${path.join(' ')}`)) }).toEqual({ path, mentioned: true });
      }
      for (const name of commandsIn(help.stdout)) await visit([...path, name]);
    };
    await visit([]);
    // The listing really was walked: the subcommands of subcommands too.
    expect(paths).toEqual(expect.arrayContaining([['audit'], ['audit', 'verify-report'], ['backup'], ['channel', 'open'], ['share']]));
  });
});
