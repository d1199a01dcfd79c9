import { ConfigError, configWarnings, loadConfig } from './parley-config';

describe('loadConfig', () => {
  it('given an empty environment, then the defaults: embedded SQLite in ./data on port 3000', () => {
    expect(loadConfig({})).toMatchObject({ PORT: 3000, PARLEY_STORE: 'sqlite', PARLEY_DATA_DIR: './data', PARLEY_MAX_ENVELOPE_BYTES: 1048576, PARLEY_SHUTDOWN_GRACE_S: 10 });
  });

  it('given numbers as text, then they are numbers', () => {
    expect(loadConfig({ PORT: '8080', PARLEY_MAX_ENVELOPE_BYTES: '2048' })).toMatchObject({ PORT: 8080, PARLEY_MAX_ENVELOPE_BYTES: 2048 });
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ PARLEY_STORE: 'mysql' }, /PARLEY_STORE/],
    [{ PARLEY_STORE: 'postgres' }, /PARLEY_POSTGRES_URL is required/],
    [{ PARLEY_POSTGRES_URL: 'mysql://x' }, /postgres:\/\//],
    [{ PARLEY_NOTARY_SEED: 'short' }, /PARLEY_NOTARY_SEED/],
    [{ PARLEY_AUDITORS: 'nope' }, /PARLEY_AUDITORS/],
    [{ PORT: '   ' }, /PORT/],
    [{ PORT: '1e3' }, /PORT/],
    [{ PORT: '80.0' }, /PORT/],
    [{ PARLEY_MAX_CLOCK_SKEW_S: ' ' }, /PARLEY_MAX_CLOCK_SKEW_S/],
    [{ PARLEY_AUDITORS: `${'A'.repeat(42)}B:${'A'.repeat(43)}` }, /PARLEY_AUDITORS: pair 1 is not two canonical/],
    [{ PARLEY_NOTARY_SEED: `${'A'.repeat(42)}B` }, /PARLEY_NOTARY_SEED: not canonical/],
    [{ PARLEY_POSTGRES_SCHEMA: 'Bad-Name' }, /PARLEY_POSTGRES_SCHEMA/],
    [{ PARLEY_SHUTDOWN_GRACE_S: '3601' }, /PARLEY_SHUTDOWN_GRACE_S must not be greater than 3600/],
  ])('given %p, then a clear error', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('given a value that is not a number, then that alone is said, not also its range', () => {
    expect(() => loadConfig({ PORT: 'abc', PARLEY_MAX_ENVELOPE_BYTES: '-1' })).toThrow(
      new ConfigError('invalid configuration:\n  PORT must be a whole number in plain digits\n  PARLEY_MAX_ENVELOPE_BYTES must be a whole number in plain digits'),
    );
    expect(() => loadConfig({ PORT: '70000' })).toThrow(new ConfigError('invalid configuration:\n  PORT must not be greater than 65535'));
  });

  it('given a store URL for a store not chosen, then a warning naming both variables; given the store chosen, then none', () => {
    expect(configWarnings(loadConfig({ PARLEY_POSTGRES_URL: 'postgres://db/parley' }))).toEqual([
      'PARLEY_POSTGRES_URL is set but PARLEY_STORE is sqlite: this instance does not use PostgreSQL (set PARLEY_STORE=postgres if it should)',
    ]);
    expect(configWarnings(loadConfig({ PARLEY_STORE: 'postgres', PARLEY_POSTGRES_URL: 'postgres://db/parley', PARLEY_ESDB_URL: 'esdb://h:2113' }))).toEqual([
      'PARLEY_ESDB_URL is set but PARLEY_STORE is postgres: this instance does not use EventStoreDB (set PARLEY_STORE=eventstoredb if it should)',
    ]);
    expect(configWarnings(loadConfig({ PARLEY_STORE: 'postgres', PARLEY_POSTGRES_URL: 'postgres://db/parley' }))).toEqual([]);
  });
});
