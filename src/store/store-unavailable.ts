/**
 * Whether an error says the store could not be reached, or went away during the call, rather
 * than refusing the call: a database restarting or failing over, a cut network, a full disk.
 * The service answers those 503 `unavailable` (retry later; an append retried is stored once)
 * instead of 500, and logs them as the outage they are rather than as a bug.
 *
 * The drivers do not share an error type: node-postgres passes the socket's error (a Node
 * system error code) or throws plain Errors whose message is all it says; PostgreSQL itself
 * reports SQLSTATE class 08 (connection exception) and 57P0x (shutting down, starting up);
 * better-sqlite3 carries SQLite's result code.
 */
import { EventStoreClosedError, EventStoreUnavailableError } from './event-store.errors';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const POSTGRES_STATES = /^(08...|57P0[1-3]|53300)$/;
const POSTGRES_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;
const SQLITE_CODES = /^SQLITE_(BUSY|FULL|IOERR)/;

export function isStoreUnavailable(error: unknown): boolean {
  // Closed: this process is shutting down under a call in flight; another instance, or this
  // one restarted, takes the retry.
  if (error instanceof EventStoreUnavailableError || error instanceof EventStoreClosedError) return true;
  // Read by shape, not `instanceof Error`: errors from Node's core may come from another realm.
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  // Node's connect tries every address of a host name and reports them all in one AggregateError.
  if (Array.isArray(errors) && errors.some(isStoreUnavailable)) return true;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || POSTGRES_STATES.test(code) || SQLITE_CODES.test(code))) return true;
  return typeof message === 'string' && POSTGRES_MESSAGES.test(message);
}
