// Seeded randomness for the demo fleet. The machine models take their random source as an
// argument so that the same seed and the same timestamps always give the same telemetry
// (tests, bug reports, a recorded demo). Math.random() is never used in server/demo/.

/** A source of uniform numbers in [0, 1), like Math.random. */
export type Random = () => number;

/**
 * mulberry32: a tiny 32-bit PRNG (Tommy Ettinger). Not cryptographic; fast, small state,
 * good enough distribution for simulated sensor noise.
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * FNV-1a hash of a string to 32 bits. Used to give each device its own stream from one fleet
 * seed, so adding or reordering devices does not change what the others publish.
 */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A PRNG for one device, derived from the fleet seed and the device's key. */
export function deviceRandom(seed: number, deviceKey: string): Random {
  return mulberry32((seed ^ hashString(deviceKey)) >>> 0);
}

/**
 * Standard normal sample (Box–Muller). Uses `1 - rng()` so that a source returning exactly
 * 0 (a forced source in a test) gives 0 rather than a logarithm of zero.
 */
export function gaussian(rng: Random): number {
  const u1 = 1 - rng(); // (0, 1]
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Uniform number in [min, max). */
export function uniform(rng: Random, min: number, max: number): number {
  return min + (max - min) * rng();
}

/**
 * Whether a Poisson event with the given rate (per hour) happens within dtMs. Exact for any
 * step length, so a fleet stepping every 100 ms and one stepping every 10 s see the same
 * event rates.
 */
export function happens(rng: Random, ratePerHour: number, dtMs: number): boolean {
  if (ratePerHour <= 0 || dtMs <= 0) return false;
  const probability = 1 - Math.exp(-ratePerHour * (dtMs / 3_600_000));
  return rng() < probability;
}
