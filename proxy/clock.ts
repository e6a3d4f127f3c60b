/** The clock is injectable so timing-dependent stages (pause, affinity, request start) can be tested. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
