import type { Pool, PoolClient } from 'pg';

/**
 * `begin`, then `work` on a client of `pool`, then the statement `commit` names for its
 * result; ROLLBACK if anything throws. While a client is checked out pg-pool listens for
 * none of its errors, so a connection PostgreSQL ends between two statements (the
 * idle-in-transaction timeout after a pause, a restart) would be an unhandled 'error' that
 * ends the process: it is heard here, the transaction fails, and the client is discarded.
 */
export async function pgTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  begin = 'BEGIN',
  commit: (result: T) => string = () => 'COMMIT',
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => (broken ??= error);
  client.on('error', onError);
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query(commit(result));
    return result;
  } catch (error) {
    if (!broken) await client.query('ROLLBACK').catch((e: Error) => (broken = e));
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
