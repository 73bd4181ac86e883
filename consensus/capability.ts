/**
 * Measured capabilities (DESIGN §5, [R5] eq. 2): Enc (computing) and Rou (links) of a member
 * are what the *other* members measured, not what it declares. Each member's node probes every
 * member it is connected to (node/chain/capability-meter.ts): an empty probe gives the round trip
 * (Rou), a probe with a fixed amount of hashing gives its compute time beyond the round trip
 * (Enc). Once per epoch it commits a signed `member.report` of the medians it saw.
 *
 * At each epoch boundary, per member m: the reports of the last two epochs from the other live
 * members that name m; when at least 2f+1 of them did (f = ⌊(n − 1)/3⌋ of the n live members), m's
 * Enc and Rou become latencyBp(lower median of the reported times). With at most f liars among
 * 2f+1 or more reporters, the lower median lies between two honest reports: one liar moves
 * nothing outside the honest range. Too few reports: the last values stay.
 *
 * The same slope maps both times, so a member that delays only its empty probes (to make its
 * compute look faster) loses as much Rou as it gains Enc.
 */
import type { GenesisParams } from '../ledger/index.js'
import type { CapabilityReport, SystemState } from './state/state.js'

const BP = 10_000
export const DEFAULT_LATENCY_FULL_MS = 50
export const DEFAULT_LATENCY_ZERO_MS = 1050
/** reports made in the epoch that ends and the one before it count */
export const REPORT_WINDOW_EPOCHS = 2

/** Basis points for a latency: full at or below latencyFullMs, 0 at or above latencyZeroMs, linear between. */
export function latencyBp(ms: number, p: GenesisParams['reputation']): number {
  const full = p.latencyFullMs ?? DEFAULT_LATENCY_FULL_MS
  const zero = Math.max(full + 1, p.latencyZeroMs ?? DEFAULT_LATENCY_ZERO_MS)
  if (ms <= full) return BP
  if (ms >= zero) return 0
  return Math.floor(((zero - ms) * BP) / (zero - full))
}

/** The lower median of integers (the element at ⌊(n − 1)/2⌋ in ascending order). */
export function lowerMedian(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[(sorted.length - 1) >> 1]!
}

/** How many reports on a member are needed before its measured terms change: 2f+1 of n live members (at most n − 1). */
export function reportsNeeded(live: number): number {
  return Math.max(1, Math.min(live - 1, 2 * Math.floor(Math.max(0, live - 1) / 3) + 1))
}

/** Reports that count at the boundary into `epoch`: recent, by live members. */
function countedReports(sys: SystemState, epoch: number): CapabilityReport[] {
  return sys.reports.filter(r => r.epoch + REPORT_WINDOW_EPOCHS >= epoch && sys.members[r.reporter]?.removed === 0)
}

/**
 * At the boundary into `epoch` (before the election): every live member's Enc and Rou from the
 * median of the others' recent reports; then reports too old for the next boundary are dropped.
 */
export function aggregateCapabilities(sys: SystemState, epoch: number, p: GenesisParams['reputation']): void {
  const reports = countedReports(sys, epoch)
  const live = sys.members.filter(m => m.removed === 0).length
  const need = reportsNeeded(live)
  sys.members.forEach((m, i) => {
    if (m.removed) return
    const rtt: number[] = []
    const compute: number[] = []
    for (const r of reports) {
      if (r.reporter === i) continue
      const o = r.observations.find(x => x.member === i)
      if (!o) continue
      rtt.push(o.rttMs)
      compute.push(o.computeMs)
    }
    if (rtt.length < need) return
    m.rouBp = latencyBp(lowerMedian(rtt), p)
    m.encBp = latencyBp(lowerMedian(compute), p)
  })
  sys.reports = sys.reports.filter(r => r.epoch + REPORT_WINDOW_EPOCHS > epoch)
}
