import { Command, Option } from 'commander';
import { join } from 'node:path';
import { SQLITE_FILE_NAME } from '../../store/event-store.factory';
import { backupSqliteStore, SqliteBackupError } from '../../store/sqlite/sqlite-backup';
import { EXIT } from '../support/cli-errors';
import { examples } from '../support/event-command';

/**
 * `parley backup --to FILE`: an online backup of the embedded SQLite store, taken on the
 * server's machine while the service runs. PostgreSQL is backed up with pg_dump
 * (docs/reliability.md).
 */
export function register(program: Command): void {
  const cmd = program
    .command('backup')
    .description('Online backup of the SQLite store (the server keeps running); for PostgreSQL use pg_dump, see docs/reliability.md')
    .requiredOption('--to <file>', 'the backup file to create (never overwritten)')
    .addOption(new Option('--data-dir <dir>', "the service's data directory").env('PARLEY_DATA_DIR').default('./data'))
    .option('--file <sqlite>', `the store file itself (default <data-dir>/${SQLITE_FILE_NAME})`)
    .option('--json', 'machine-readable output (one JSON document)')
    .addHelpText(
      'after',
      examples([
        'parley backup --to /backups/parley-$(date +%F).sqlite',
        'parley backup --data-dir /var/lib/parley --to parley.sqlite --json',
        `parley backup --file ./data/${SQLITE_FILE_NAME} --to copy.sqlite`,
      ]),
    );
  cmd.action(async () => {
    const o = cmd.opts() as { to: string; dataDir: string; file?: string; json?: boolean };
    const source = o.file ?? join(o.dataDir, SQLITE_FILE_NAME);
    try {
      const result = await backupSqliteStore(source, o.to);
      if (o.json) process.stdout.write(JSON.stringify({ ok: true, ...result }) + '\n');
      else process.stdout.write(`backed up ${result.events} events (${result.bytes} bytes) from ${source} to ${result.file}\n`);
      process.exitCode = EXIT.ok;
    } catch (err) {
      const usage = err instanceof SqliteBackupError;
      const message = (err as Error).message;
      const code = usage ? 'usage' : 'backup_failed';
      if (o.json) process.stdout.write(JSON.stringify({ ok: false, error: code, message }) + '\n');
      process.stderr.write(`parley: ${code}: ${message}\n`); // as every command: parley: <code>: <message>
      process.exitCode = usage ? EXIT.usage : EXIT.refused;
    }
  });
}
