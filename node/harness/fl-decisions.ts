/**
 * What the chain's rules did to the honest and the malicious updates of a `diten fl run`: per
 * round, counts by code (rejections — a verdict rejection as `FL_VERDICT:<the verifiers' main
 * reason>` — and defences' adjustments of updates they kept); over the
 * run, the false-rejection rate — honest updates a rule left out of M(e) (FL_UNDECIDED, a
 * timing outcome with no mark, is counted apart) — and how many attackers' updates were kept.
 */
import { reasonCounts } from '../../fl/verdicts.js'
import type { RoundReport, UpdateRecord } from './fl-report.js'

interface Side {
  submitted: number
  /** left out of M(e), by code */
  rejected: Record<string, number>
  /** kept, changed by a defence (clipped, down-weighted), by code */
  adjusted: Record<string, number>
}

export interface Decisions {
  honest: Side
  malicious: Side
}

export interface RejectionSummary {
  honestSubmitted: number
  /** honest updates a rule left out (not FL_UNDECIDED) */
  honestRejected: number
  honestUndecided: number
  /** honestRejected / honestSubmitted (0 when nothing was submitted) */
  falseRejectionRate: number
  maliciousSubmitted: number
  maliciousKept: number
}

const UNDECIDED = 'FL_UNDECIDED'
const VERDICT = 'FL_VERDICT'

/** The code of the reason most rejecting verdicts gave (ties: the first in code order). */
function topReason(verdicts: UpdateRecord['verdicts']): string {
  return reasonCounts(verdicts)[0]?.[0] ?? 'none'
}

function side(): Side {
  return { submitted: 0, rejected: {}, adjusted: {} }
}

export function roundDecisions(records: readonly UpdateRecord[], attackers: ReadonlyMap<string, unknown>): Decisions {
  const d: Decisions = { honest: side(), malicious: side() }
  for (const u of records) {
    const s = attackers.has(u.member) ? d.malicious : d.honest
    s.submitted++
    if (!u.code) continue
    const into = u.outcome === 'rejected' ? s.rejected : s.adjusted
    const code = u.code === VERDICT ? `${VERDICT}:${topReason(u.verdicts)}` : u.code
    into[code] = (into[code] ?? 0) + 1
  }
  return d
}

export function summarizeRejections(rounds: readonly Pick<RoundReport, 'decisions'>[]): RejectionSummary {
  const sum = (f: (d: Decisions) => number) => rounds.reduce((n, r) => n + f(r.decisions), 0)
  const count = (r: Record<string, number>, keep: (code: string) => boolean) =>
    Object.entries(r).reduce((n, [c, k]) => n + (keep(c) ? k : 0), 0)
  const honestSubmitted = sum(d => d.honest.submitted)
  const honestRejected = sum(d => count(d.honest.rejected, c => c !== UNDECIDED))
  const maliciousSubmitted = sum(d => d.malicious.submitted)
  return {
    honestSubmitted,
    honestRejected,
    honestUndecided: sum(d => count(d.honest.rejected, c => c === UNDECIDED)),
    falseRejectionRate: honestSubmitted ? honestRejected / honestSubmitted : 0,
    maliciousSubmitted,
    maliciousKept: maliciousSubmitted - sum(d => count(d.malicious.rejected, () => true)),
  }
}
