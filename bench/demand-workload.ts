/**
 * The workload of `bench:demand` and `bench:demand-sim`, one definition for both: three zones,
 * 20 buckets of 64 KiB to 16 MiB with their masters spread over the zones, and per zone a Zipf
 * popularity over its own seeded ranking of the buckets that rotates by SHIFT at the shift.
 */
export const ZONES = ['eu', 'us', 'asia'] as const
export type Zone = (typeof ZONES)[number]
export const BUCKETS = 20
export const SHIFT = 7
const KIB = 1024

/** Bucket i: 64 KiB × 2^(i mod 9) (64 KiB … 16 MiB), master in zone i mod 3. */
export const buckets = Array.from({ length: BUCKETS }, (_, i) => ({
  name: `b${String(i).padStart(2, '0')}`,
  bytes: 64 * KIB * 2 ** (i % 9),
  master: ZONES[i % 3] as Zone,
}))

/** A zone's ranking of the buckets: its own seeded shuffle, rotated by SHIFT after the shift. */
export function ranking(zone: Zone, shifted: boolean): string[] {
  let seed = ZONES.indexOf(zone) * 7919 + 17
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  const order = buckets.map((b) => b.name)
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[order[i], order[j]] = [order[j] as string, order[i] as string]
  }
  return shifted ? [...order.slice(SHIFT), ...order.slice(0, SHIFT)] : order
}

/** Zipf weights of the ranks (exponent `s`) and their sum. */
export function zipfWeights(s: number): { weights: number[]; total: number } {
  const weights = Array.from({ length: BUCKETS }, (_, k) => 1 / (k + 1) ** s)
  return { weights, total: weights.reduce((a, b) => a + b, 0) }
}

/** A picker of buckets from a ranking by Zipf popularity with exponent `s`. */
export function zipfPicker(s: number, random: () => number = Math.random) {
  const { weights, total } = zipfWeights(s)
  return (order: readonly string[]): string => {
    let r = random() * total
    for (const [k, w] of weights.entries()) {
      r -= w
      if (r <= 0) return order[k] as string
    }
    return order.at(-1) as string
  }
}
