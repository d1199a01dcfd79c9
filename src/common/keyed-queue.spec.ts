import { KeyedQueue } from './keyed-queue';

const tick = () => new Promise((r) => setImmediate(r));

/** A task that notes its start and end in `log` around one turn of the event loop. */
const recorded = (log: string[], name: string) => async () => {
  log.push(`${name}:start`);
  await tick();
  log.push(`${name}:end`);
  return name;
};

describe('KeyedQueue', () => {
  it('given tasks on one key, when they overlap in time, then they run one after the other in order', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    const results = await Promise.all([q.run('a', recorded(log, '1')), q.run('a', recorded(log, '2')), q.run('a', recorded(log, '3'))]);
    expect(results).toEqual(['1', '2', '3']);
    expect(log).toEqual(['1:start', '1:end', '2:start', '2:end', '3:start', '3:end']);
  });

  it('given tasks on two keys, when started together, then they interleave', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    await Promise.all([q.run('a', recorded(log, 'a')), q.run('b', recorded(log, 'b'))]);
    expect(log.slice(0, 2).sort()).toEqual(['a:start', 'b:start']);
  });

  it('given a failing task, when the next one is queued, then it still runs and the key is released', async () => {
    const q = new KeyedQueue();
    const failed = q.run('a', async () => {
      throw new Error('boom');
    });
    const next = q.run('a', async () => 'ran');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
    await tick();
    expect(q.size).toBe(0);
  });
});
