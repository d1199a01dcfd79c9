import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NegotiationBuilder, newNotarySeed } from '../../test/support/negotiation-builder';
import { storeLog } from '../../test/support/store-log';
import { SqliteEventStore } from '../store/sqlite/sqlite-event-store.adapter';
import { ProjectionRunner } from './projection.runner';
import { SqliteReadModelStore } from './sqlite/sqlite-read-model.store';

describe('the projection lag gauge', () => {
  it('given events another process appended (another instance on the same store), when the lag is refreshed, then it counts them before any is projected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-lag-'));
    const file = join(dir, 'parley.sqlite');
    const mine = SqliteEventStore.open({ file });
    const other = SqliteEventStore.open({ file }); // as another process would: nothing it appends passes through this runner
    try {
      const lags: number[] = [];
      const runner = new ProjectionRunner(mine, new SqliteReadModelStore(mine.database), { onLag: (n) => lags.push(n) });
      const n = NegotiationBuilder.open({ notarySeed: newNotarySeed() });
      for (let i = 0; i < 4; i++) n.request('ua.lead', 'ru');
      await storeLog(other, n);
      await runner.refreshLag(); // not started: nothing projected yet
      expect(lags).toEqual([5]);
    } finally {
      await other.close();
      await mine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
