import { isTime } from './shape';

/** What isTime stands for: the text is exactly toISOString's writing of the instant it parses to. */
const roundTrips = (x: string) => {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(x)) return false;
  const t = Date.parse(x);
  return Number.isFinite(t) && new Date(t).toISOString() === x;
};

const p2 = (n: number) => String(n).padStart(2, '0');

describe('isTime', () => {
  it('given any date fields, then it agrees with the toISOString round trip', () => {
    const years = [0, 1, 4, 99, 100, 400, 1582, 1899, 1900, 1970, 1999, 2000, 2023, 2024, 2100, 2400, 9996, 9999];
    for (const y of years) {
      for (let m = 0; m <= 13; m++) {
        for (let d = 0; d <= 32; d++) {
          const x = `${String(y).padStart(4, '0')}-${p2(m)}-${p2(d)}T12:30:30.500Z`;
          expect([x, isTime(x)]).toEqual([x, roundTrips(x)]);
        }
      }
    }
  });

  it('given any time fields, then it agrees with the toISOString round trip', () => {
    for (let h = 0; h <= 25; h++) {
      for (const mi of [0, 59, 60, 99]) {
        for (const s of [0, 59, 60, 61]) {
          const x = `2024-02-29T${p2(h)}:${p2(mi)}:${p2(s)}.999Z`;
          expect([x, isTime(x)]).toEqual([x, roundTrips(x)]);
        }
      }
    }
  });

  it.each(['2024-01-01T00:00:00Z', '2024-01-01 00:00:00.000Z', '+002024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000z'])(
    'refuses %s',
    (x) => expect(isTime(x)).toBe(false),
  );
});
