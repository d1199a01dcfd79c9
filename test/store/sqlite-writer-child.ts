/**
 * Child of the SQLite test "a forked process appends to the same file": opens the file as a
 * second process would, and appends in batches — three events in one append to one stream,
 * then one each to a second stream. After each batch it sends the parent what was
 * acknowledged (`{ acks }`) over the IPC channel and waits for "next" before the next batch,
 * so the parent can check each batch reached its live subscription while this process runs.
 *
 * argv: <SQLite file> <batches>
 */
import { randomUUID } from 'node:crypto';
import { channelStream } from '../../src/store';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.adapter';
import type { NewEvent } from '../../src/store';

export interface ChildAck {
  stream: string;
  revision: number;
  position: string;
  id: string;
}

const event = (batch: number): NewEvent => {
  const id = randomUUID();
  return { id, type: 'MessagePosted', data: JSON.stringify({ id, batch, from: 'child', pid: process.pid }) };
};

async function main(): Promise<void> {
  const [file, batches] = [process.argv[2], Number(process.argv[3])];
  const store = SqliteEventStore.open({ file });
  const streams = [channelStream(randomUUID()), channelStream(randomUUID())];
  const next = [0, 0];
  const append = async (s: number, events: NewEvent[]): Promise<ChildAck[]> => {
    const result = await store.append(streams[s], events, next[s] === 0 ? 'no_stream' : next[s] - 1);
    const acks = (await store.readStream(streams[s], next[s])).map((e) => ({ stream: e.stream, revision: e.revision, position: e.position, id: e.id }));
    if (acks.map((a) => a.id).join() !== events.map((e) => e.id).join()) throw new Error(`append to ${streams[s]} not read back: ${JSON.stringify(result)}`);
    next[s] += events.length;
    return acks;
  };
  for (let b = 0; b < batches; b++) {
    const acks = [...(await append(0, [event(b), event(b), event(b)])), ...(await append(1, [event(b)])), ...(await append(1, [event(b)]))];
    process.send!({ acks });
    const reply = await new Promise<unknown>((resolve) => process.once('message', resolve));
    if (reply !== 'next') break;
  }
  await store.close();
  process.disconnect();
}

main().catch((error) => {
  process.stderr.write(`${String(error?.stack ?? error)}\n`);
  process.exit(1);
});
