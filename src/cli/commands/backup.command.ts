import { Command } from 'commander';
import { SQLITE_FILE_NAME } from '../../store/event-store.factory';
import { backupSqliteStore } from '../../store/sqlite/sqlite-backup';
import { EXIT } from '../support/cli-errors';
import { examples } from '../support/event-command';
import { reportStoreFileFailure, storeFileOf, storeFileOptions, type StoreFileOptions } from '../support/store-file-command';

/**
 * `parley backup --to FILE`: an online backup of the embedded SQLite store, taken on the
 * server's machine while the service runs. PostgreSQL is backed up with pg_dump
 * (docs/reliability.md).
 */
export function register(program: Command): void {
  const cmd = storeFileOptions(
    program
      .command('backup')
      .description('Online backup of the SQLite store (the server keeps running); for PostgreSQL use pg_dump, see docs/reliability.md')
      .requiredOption('--to <file>', 'the backup file to create (never overwritten)'),
  ).addHelpText(
    'after',
    examples([
      'parley backup --to /backups/parley-$(date +%F).sqlite',
      'parley backup --data-dir /var/lib/parley --to parley.sqlite --json',
      `parley backup --file ./data/${SQLITE_FILE_NAME} --to copy.sqlite`,
    ]),
  );
  cmd.action(async () => {
    const o = cmd.opts() as StoreFileOptions & { to: string };
    const source = storeFileOf(o);
    try {
      const result = await backupSqliteStore(source, o.to);
      if (o.json) process.stdout.write(JSON.stringify({ ok: true, ...result }) + '\n');
      else process.stdout.write(`backed up ${result.events} events (${result.bytes} bytes) from ${source} to ${result.file}\n`);
      process.exitCode = EXIT.ok;
    } catch (err) {
      reportStoreFileFailure(err, o, 'backup_failed');
    }
  });
}
