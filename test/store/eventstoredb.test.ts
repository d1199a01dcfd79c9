import { EventStoreDbEventStore } from '../../src/store/eventstoredb/eventstoredb-event-store.adapter';
import { decodeEsdbPosition, encodeEsdbPosition, reportedEsdbPosition } from '../../src/store/eventstoredb/eventstoredb-position';
import { comparePositions } from '../../src/store';
import { describeEventStoreContract } from './event-store.contract';

const url = process.env.PARLEY_ESDB_URL;

if (url) {
  describeEventStoreContract('EventStoreDB', {
    open: async () => EventStoreDbEventStore.connect({ connectionString: url }),
    idsUniqueAcrossStream: false,
  });
} else {
  console.log(
    'EventStoreDB contract tests skipped: set PARLEY_ESDB_URL (e.g. esdb://127.0.0.1:2113?tls=false) to run them against a server ' +
      'started with EVENTSTORE_MAX_APPEND_SIZE of at least 1 MiB + 4 KiB, as in docker-compose.yml',
  );
  describe.skip('EventStoreDB contract (needs PARLEY_ESDB_URL)', () => {
    it('runs only against a server', () => {});
  });
}

// Runs everywhere: the position encoding needs no server.
describe('EventStoreDB positions', () => {
  it('keep commit and prepare whole, ordered by plain string comparison', () => {
    const positions = [
      { commit: 0n, prepare: 0n },
      { commit: 5n, prepare: 3n },
      { commit: 5n, prepare: 4n },
      { commit: 12n, prepare: 12n },
      { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n },
    ];
    const encoded = positions.map(encodeEsdbPosition);
    expect([...encoded].reverse().sort()).toEqual(encoded);
    expect([...encoded].reverse().sort(comparePositions)).toEqual(encoded);
    expect(encoded.map(decodeEsdbPosition)).toEqual(positions);
    expect(() => decodeEsdbPosition('00000000000000000001')).toThrow(/not a position/);
  });

  it('take a position the server did not report (protobuf defaults 0, 0, or commit −1 as 2^64 − 1) as absent', () => {
    expect(reportedEsdbPosition(undefined)).toBeUndefined();
    expect(reportedEsdbPosition({ commit: 0n, prepare: 0n })).toBeUndefined();
    expect(reportedEsdbPosition({ commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n })).toBeUndefined();
    expect(reportedEsdbPosition({ commit: 2n ** 64n - 1n, prepare: 812n })).toBeUndefined();
    expect(reportedEsdbPosition({ commit: 812n, prepare: 812n })).toEqual({ commit: 812n, prepare: 812n });
  });
});
