import { openSync } from 'node:fs';
import { UsageError } from './cli-errors';

/**
 * Opens a file that `command` creates and never overwrites (an earlier export may be
 * evidence; a file of the same name may be another document), readable by its owner only.
 * `label` names it in messages: `--out <path>`, or the path itself.
 */
export function createNewFile(path: string, command: string, label = path): number {
  try {
    return openSync(path, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${label} exists already: ${command} never overwrites a file; choose another name`);
    throw new UsageError(`${label}: cannot create it (${code ?? (err as Error).message})`);
  }
}
