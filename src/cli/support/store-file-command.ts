import { Command, Option } from 'commander';
import { join } from 'node:path';
import { SQLITE_FILE_NAME } from '../../store/event-store.factory';
import { SqliteBackupError } from '../../store/sqlite/sqlite-backup';
import { EXIT } from './cli-errors';

/** What `backup` and `restore`, the commands on the SQLite store file itself, take besides their own option. */
export interface StoreFileOptions {
  dataDir: string;
  file?: string;
  json?: boolean;
}

/** Adds --data-dir, --file and --json. */
export function storeFileOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', "the service's data directory").env('PARLEY_DATA_DIR').default('./data'))
    .option('--file <sqlite>', `the store file itself (default <data-dir>/${SQLITE_FILE_NAME})`)
    .option('--json', 'machine-readable output (one JSON document)');
}

export function storeFileOf(o: StoreFileOptions): string {
  return o.file ?? join(o.dataDir, SQLITE_FILE_NAME);
}

/** As every command: `parley: <code>: <message>`; a refusal of the files given exits 2, anything else 1. */
export function reportStoreFileFailure(err: unknown, o: StoreFileOptions, failed: string): void {
  const usage = err instanceof SqliteBackupError;
  const message = (err as Error).message;
  const code = usage ? 'usage' : failed;
  if (o.json) process.stdout.write(JSON.stringify({ ok: false, error: code, message }) + '\n');
  process.stderr.write(`parley: ${code}: ${message}\n`);
  process.exitCode = usage ? EXIT.usage : EXIT.refused;
}
