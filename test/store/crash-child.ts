/**
 * Child of the crash test: appends as fast as it can and prints one line per acknowledged
 * append — `ACK <stream> <revision> <position> <id>` — until the parent SIGKILLs it.
 * Writes to a pipe are synchronous on Linux, so a printed line was acknowledged before
 * the kill. Event data carries a digest of itself so the parent can spot a torn write.
 *
 * argv: <config JSON for createEventStore> <comma-separated streams>
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createEventStore, WrongExpectedRevisionError, type EventStoreConfig } from '../../src/store';

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]) as EventStoreConfig;
  const streams = process.argv[3].split(',');
  const store = await createEventStore(config);
  process.stdout.write('READY\n');
  // Two writers per stream, so conflicts and retries happen too.
  await Promise.all(streams.flatMap((stream) => [writer(stream), writer(stream)]));

  async function writer(stream: string): Promise<never> {
    for (;;) {
      const id = randomUUID();
      const padding = randomBytes(Math.floor(Math.random() * 6000)).toString('base64');
      const digest = createHash('sha256').update(id + padding).digest('hex');
      const data = JSON.stringify({ id, padding, digest });
      for (;;) {
        const head = await store.streamHead(stream);
        try {
          const result = await store.append(stream, [{ id, type: 'CrashTest', data }], head ? head.revision : 'no_stream');
          process.stdout.write(`ACK ${stream} ${result.nextRevision} ${result.position} ${id}\n`);
          break;
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError)) throw error;
        }
      }
    }
  }
}

main().catch((error) => {
  process.stderr.write(`${String(error?.stack ?? error)}\n`);
  process.exit(1);
});
