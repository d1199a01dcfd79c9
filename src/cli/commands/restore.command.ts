import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NOTARY_KEY_FILE } from '../../notary/notary-key.provider';
import { restoreSqliteStore } from '../../store/sqlite/sqlite-restore';
import { EXIT } from '../support/cli-errors';
import { examples } from '../support/event-command';
import { reportStoreFileFailure, storeFileOf, storeFileOptions, type StoreFileOptions } from '../support/store-file-command';

/**
 * `parley restore --from FILE`: makes a `parley backup` the SQLite store of a stopped
 * service, keeping the store it replaces (docs/reliability.md).
 */
export function register(program: Command): void {
  const cmd = storeFileOptions(
    program
      .command('restore')
      .description('Restore a `parley backup` as the SQLite store of a stopped service; the store it replaces is kept, renamed')
      .requiredOption('--from <file>', 'the backup to restore'),
  ).addHelpText(
    'after',
    examples(['parley restore --from /backups/parley-2026-11-30.sqlite', 'parley restore --data-dir /var/lib/parley --from parley.sqlite --json']),
  );
  cmd.action(async () => {
    const o = cmd.opts() as StoreFileOptions & { from: string };
    const store = storeFileOf(o);
    try {
      const result = await restoreSqliteStore(o.from, store);
      // Not in the store: without it the service makes a new key and can agree no transfer of the restored channels.
      const warnings =
        !o.file && !process.env.PARLEY_NOTARY_SEED && !existsSync(join(o.dataDir, NOTARY_KEY_FILE))
          ? [`no ${NOTARY_KEY_FILE} in ${o.dataDir}: put the notary key back (or set PARLEY_NOTARY_SEED) before starting the service`]
          : [];
      if (o.json) process.stdout.write(JSON.stringify({ ok: true, ...result, warnings }) + '\n');
      else {
        process.stdout.write(`restored ${result.events} events from ${o.from} to ${store}\n`);
        if (result.replaced) process.stdout.write(`the store it replaces is kept as ${result.replaced} (with its -wal and -shm, if it had them)\n`);
        process.stdout.write(
          'events appended after the backup are not in it: participants whose keystores verified some are refused the log until they accept it (parley status --accept-restore --channel <uuid>; docs/reliability.md)\n',
        );
      }
      for (const warning of warnings) process.stderr.write(`parley: warning: ${warning}\n`);
      process.exitCode = EXIT.ok;
    } catch (err) {
      reportStoreFileFailure(err, o, 'restore_failed');
    }
  });
}
