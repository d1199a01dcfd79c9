/**
 * Crash safety: run crash-child.ts, SIGKILL it at random moments, and afterwards prove
 * from a fresh store that every acknowledged append is there, nothing is torn, revisions
 * are contiguous and the global log agrees with the streams.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { StreamNotFoundError, type EventStore, type EventStoreConfig, type RecordedEvent } from '../../src/store';
import { readWholeLog } from './store-test-kit';

export interface Ack {
  stream: string;
  revision: number;
  position: string;
  id: string;
}

const CHILD = join(__dirname, 'crash-child.ts');
const REGISTER = join(__dirname, 'register-ts.js');

/** Runs the child `kills` times, killing it each time; returns the acknowledged appends. */
export async function appendAndKill(config: EventStoreConfig, streams: string[], kills: number): Promise<Ack[]> {
  const acks: Ack[] = [];
  for (let run = 0; run < kills; run++) {
    // Most kills land mid-append; every fourth may land while the store is still opening.
    const waitForReady = run % 4 !== 3;
    acks.push(...(await oneLife(config, streams, waitForReady, 10 + Math.random() * 200)));
  }
  return acks;
}

function oneLife(config: EventStoreConfig, streams: string[], waitForReady: boolean, lifeMs: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [JSON.stringify(config), streams.join(',')], {
      execArgv: ['--require', REGISTER],
      silent: true,
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const kill = (): void => {
      killed = true;
      child.kill('SIGKILL');
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      const before = stdout.length;
      stdout += chunk.toString('utf8');
      if (waitForReady && before === 0 && stdout.startsWith('READY\n')) setTimeout(kill, lifeMs);
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    if (!waitForReady) setTimeout(kill, 100 + lifeMs * 2);
    child.on('error', reject);
    child.on('exit', () => {
      if (!killed) return reject(new Error(`crash child exited by itself: ${stderr}`));
      // Only complete lines count: a line cut by the kill was never fully reported.
      const lines = stdout.split('\n').slice(0, -1);
      resolve(
        lines
          .filter((line) => line.startsWith('ACK '))
          .map((line) => {
            const [, stream, revision, position, id] = line.split(' ');
            return { stream, revision: Number(revision), position, id };
          }),
      );
    });
  });
}

/** Fails the test unless the store holds exactly a consistent history containing every ack. */
export async function verifyHistory(store: EventStore, streams: string[], acks: Ack[]): Promise<{ events: number }> {
  const byStream = new Map<string, RecordedEvent[]>();
  for (const stream of streams) {
    const events = await store.readStream(stream).catch((e) => (e instanceof StreamNotFoundError ? [] : Promise.reject(e)));
    byStream.set(stream, events);
    expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i)); // contiguous from 0
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    for (const e of events) {
      const { id, padding, digest } = JSON.parse(e.data) as { id: string; padding: string; digest: string };
      expect(id).toBe(e.id);
      expect(createHash('sha256').update(id + padding).digest('hex')).toBe(digest); // not torn
    }
  }
  for (const ack of acks) {
    const stored = byStream.get(ack.stream)![ack.revision];
    expect(stored && { id: stored.id, position: stored.position }).toEqual({ id: ack.id, position: ack.position });
  }
  const log = await readWholeLog(store);
  const total = [...byStream.values()].reduce((n, events) => n + events.length, 0);
  expect(log).toHaveLength(total);
  for (let i = 1; i < log.length; i++) expect(log[i - 1].position < log[i].position).toBe(true);
  for (const e of log) expect(byStream.get(e.stream)![e.revision]).toEqual(e);
  return { events: total };
}
