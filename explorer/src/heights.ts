/**
 * Shard heights over time as this page has seen them (from the status the app reads every 2 s),
 * kept for the Faults timeline: the last hour at most.
 */
export interface HeightSample {
  at: number
  heads: number[]
}

const samples: HeightSample[] = []
const KEEP_MS = 3_600_000

export function recordHeights(heads: number[], at = Date.now()): void {
  const last = samples[samples.length - 1]
  if (last && last.heads.join() === heads.join() && at - last.at < 10_000) return
  samples.push({ at, heads: [...heads] })
  while (samples.length && samples[0]!.at < at - KEEP_MS) samples.shift()
}

export function heightSamples(): readonly HeightSample[] {
  return samples
}
