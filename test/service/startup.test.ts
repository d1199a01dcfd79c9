/**
 * `node dist/src/main.js` as `npm start` runs it: a bad configuration stops the start with
 * a clear message naming the variable and exit code 1, and no stack trace.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../store/store-test-kit';

const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');

function start(env: Record<string, string>) {
  const dir = tempDir('parley-startup-');
  try {
    const r = spawnSync(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', PARLEY_DATA_DIR: dir.path, ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { status: r.status, stderr: r.stderr, stdout: r.stdout };
  } finally {
    dir.remove();
  }
}

describe('starting the service', () => {
  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ PARLEY_STORE: 'postgres' }, /PARLEY_POSTGRES_URL is required/],
    [{ PARLEY_STORE: 'mysql' }, /PARLEY_STORE/],
    [{ PARLEY_MAX_ENVELOPE_BYTES: '10' }, /PARLEY_MAX_ENVELOPE_BYTES/],
    [{ PARLEY_NOTARY_SEED: 'short' }, /PARLEY_NOTARY_SEED/],
    [{ PARLEY_MAX_CLOCK_SKEW_S: '99999999999999999999999' }, /PARLEY_MAX_CLOCK_SKEW_S/],
  ])('given %j, then it exits 1 with a message naming it and no stack trace', (env, message) => {
    const r = start(env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });

  it('given a HOST that is no address of this machine, then it exits 1 naming HOST', () => {
    const r = start({ HOST: '999.1.1.1' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: expect.stringMatching(/^parley: cannot start: HOST 999\.1\.1\.1 is not an address of this machine/m) });
  });

  it('given a port in use, then it exits 1 naming PORT', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    try {
      const r = start({ HOST: '127.0.0.1', PORT: String((taken.address() as AddressInfo).port) });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: expect.stringMatching(/^parley: cannot start: PORT \d+ on 127\.0\.0\.1 is in use by another process$/m) });
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('given a PostgreSQL server that does not answer, then it exits 1 with one line saying so', () => {
    const r = start({ PARLEY_STORE: 'postgres', PARLEY_POSTGRES_URL: 'postgres://postgres@127.0.0.1:1/test' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot start/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('given an EventStoreDB server that does not answer, then it exits 1 as well, naming the store and the cause but not the URL', () => {
    const r = start({ PARLEY_STORE: 'eventstoredb', PARLEY_ESDB_URL: 'esdb://admin:secret-pw@127.0.0.1:1?tls=false' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^parley: cannot start: EventStoreDB cannot be read: .*ECONNREFUSED/m);
    expect(r.stderr).not.toMatch(/secret-pw|^\s+at /m);
    expect(r.stdout).toBe('');
  });
});
