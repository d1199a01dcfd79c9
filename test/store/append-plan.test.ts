import { optimisticPlan, planBatch, streamIdKey, type AppendRequest, type StoredCopy } from '../../src/store/append-plan';
import { IdempotencyError, WrongExpectedRevisionError } from '../../src/store';

const ev = (id: string, data = `{"id":"${id}"}`) => ({ id, type: 'T', data });

describe('planBatch', () => {
  it('plans each append against the heads left by the earlier ones; a refused one changes nothing', () => {
    const requests: AppendRequest[] = [
      { stream: 'a', events: [ev('1'), ev('2')], expected: 'no_stream' },
      { stream: 'a', events: [ev('3')], expected: 1 },
      { stream: 'a', events: [ev('4')], expected: 1 }, // lost the race to the previous one
      { stream: 'b', events: [ev('5')], expected: 4 },
      { stream: 'a', events: [ev('6')], expected: 2 },
    ];
    const { planned, outcomes, rows } = planBatch(requests, { heads: new Map([['b', 4]]), stored: new Map() });
    expect(planned).toBe(5);
    expect(outcomes.map((o) => o.kind)).toEqual(['write', 'write', 'done', 'write', 'write']);
    const refused = outcomes[2];
    expect(refused.kind === 'done' && !refused.outcome.ok && refused.outcome.error).toBeInstanceOf(WrongExpectedRevisionError);
    expect(rows.map((r) => [r.request, r.stream, r.revision, r.event.id])).toEqual([
      [0, 'a', 0, '1'],
      [0, 'a', 1, '2'],
      [1, 'a', 2, '3'],
      [3, 'b', 5, '5'],
      [4, 'a', 3, '6'],
    ]);
  });

  it('answers a retry from the snapshot, and refuses the same id with other content', () => {
    const copy: StoredCopy = { id: '1', revision: 0, position: 'p0', sameContent: true };
    const retry = planBatch([{ stream: 'a', events: [ev('1')], expected: 'no_stream' }], {
      heads: new Map([['a', 3]]),
      stored: new Map([[streamIdKey('a', '1'), copy]]),
    });
    expect(retry.rows).toEqual([]);
    expect(retry.outcomes[0]).toEqual({
      kind: 'done',
      outcome: { ok: true, value: { nextRevision: 0, position: 'p0', events: [{ revision: 0, position: 'p0' }], created: false } },
    });
    const other = planBatch([{ stream: 'a', events: [ev('1', 'other')], expected: 3 }], {
      heads: new Map([['a', 3]]),
      stored: new Map([[streamIdKey('a', '1'), { ...copy, sameContent: false }]]),
    });
    const refused = other.outcomes[0];
    expect(refused.kind === 'done' && !refused.outcome.ok && refused.outcome.error).toBeInstanceOf(IdempotencyError);
  });

  it('stops before an id the batch itself writes, so its retry is planned after the insert', () => {
    const requests: AppendRequest[] = [
      { stream: 'a', events: [ev('1')], expected: 'no_stream' },
      { stream: 'b', events: [ev('1')], expected: 'no_stream' }, // same id, other stream: fine
      { stream: 'a', events: [ev('1')], expected: 'no_stream' }, // a concurrent retry
      { stream: 'c', events: [ev('9')], expected: 'no_stream' },
    ];
    const { planned, rows } = planBatch(requests, { heads: new Map(), stored: new Map() });
    expect(planned).toBe(2);
    expect(rows.map((r) => r.stream)).toEqual(['a', 'b']);
  });
});

describe('optimisticPlan', () => {
  it('given requests that chain, then the heads they assume and every row', () => {
    const plan = optimisticPlan([
      { stream: 'a', events: [ev('1'), ev('2')], expected: 'no_stream' },
      { stream: 'b', events: [ev('3')], expected: 6 },
      { stream: 'a', events: [ev('4')], expected: 1 },
    ]);
    expect(plan && [...plan.heads]).toEqual([
      ['a', null],
      ['b', 6],
    ]);
    expect(plan?.rows.map((r) => [r.request, r.stream, r.revision, r.event.id])).toEqual([
      [0, 'a', 0, '1'],
      [0, 'a', 1, '2'],
      [1, 'b', 7, '3'],
      [2, 'a', 2, '4'],
    ]);
  });

  it.each([
    ['two requests expect one revision', [{ stream: 'a', events: [ev('1')], expected: 3 }, { stream: 'a', events: [ev('2')], expected: 3 }]],
    ['a retry of an id the batch writes', [{ stream: 'a', events: [ev('1')], expected: 3 }, { stream: 'a', events: [ev('1')], expected: 3 }]],
  ] as [string, AppendRequest[]][])('given %s, then no optimistic plan', (_, requests) => {
    expect(optimisticPlan(requests)).toBeNull();
  });
});
