/** The read model tables as both adapters define them, and the SQL both share. */
import { CLOSED_STATUSES } from './read-model-rows';
import type { RequestFilter } from './read-model-store.port';

export interface TableShape {
  name: string;
  columns: string[];
  key: string[];
  /** Columns SQLite stores as 0/1 and PostgreSQL as boolean; dumps show them as booleans. */
  booleans: string[];
}

export const READ_MODEL_TABLES: readonly TableShape[] = [
  { name: 'parley_rm_checkpoint', columns: ['id', 'position'], key: ['id'], booleans: [] },
  { name: 'parley_rm_channels', columns: ['channel', 'awaiting_notary', 'doc'], key: ['channel'], booleans: [] },
  {
    name: 'parley_rm_requests',
    columns: ['channel', 'request', 'status', 'requested_seq', 'doc'],
    key: ['channel', 'request'],
    booleans: [],
  },
  {
    name: 'parley_rm_reunifications',
    columns: ['channel', 'request', 'completed_seq', 'doc'],
    key: ['channel', 'request'],
    booleans: [],
  },
  {
    name: 'parley_rm_keys',
    columns: ['fingerprint', 'channel', 'participant', 'active', 'sign_key'],
    key: ['fingerprint', 'channel', 'participant'],
    booleans: ['active'],
  },
];

/** A dumped row in one form whatever the adapter: booleans as booleans, the rest as stored. */
export function normaliseRow(table: TableShape, row: unknown[]): unknown[] {
  return row.map((value, i) => (table.booleans.includes(table.columns[i]) ? value === true || value === 1 : value));
}

/**
 * The WHERE condition of a request list: `open` means every status short of reunited or
 * withdrawn (DESIGN.md Part 3), any other status that exact one. `placeholder(i)` writes the
 * adapter's i-th parameter marker, counting from `first`.
 */
export function statusCondition(
  filter: RequestFilter,
  placeholder: (i: number) => string,
  first = 1,
): { sql: string; params: string[] } {
  if (filter.status === 'open') {
    const marks = CLOSED_STATUSES.map((_, i) => placeholder(first + i));
    return { sql: `status NOT IN (${marks.join(', ')})`, params: [...CLOSED_STATUSES] };
  }
  return { sql: `status = ${placeholder(first)}`, params: [filter.status] };
}
