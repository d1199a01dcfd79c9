/** The time source of request-signature checks (ms since the epoch); a token so tests can pin it. */
export const CLOCK = Symbol('CLOCK');
export type Clock = () => number;
export const systemClock = { provide: CLOCK, useValue: (() => Date.now()) as Clock };
