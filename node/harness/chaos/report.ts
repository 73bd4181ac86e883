/** Readable forms of chaos reports: one run as lines, a matrix as one table plus a JSON line. */
import { formatTable } from '../table.js'
import type { ChaosReport, FaultOutcome } from './runner.js'

const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)} %`)
const secs = (ms: number | null | undefined) => (ms === null || ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`)

function faultLine(f: FaultOutcome): string {
  const head = `${f.fault.kind}${f.fault.node ? ` ${f.fault.node}` : ''} at ${f.fault.at} s for ${f.fault.forS} s`
  if (f.error) return `${head}: FAILED TO APPLY (${f.error})`
  if (f.outsider)
    return `${head}: ${f.outsider.dials} dials, ${f.outsider.dialsCompleted} completed, ${f.outsider.connectionsKept} connections kept, ${f.outsider.published} publishes`
  if (f.rpcGarbage)
    return `${head}: ${f.rpcGarbage.sent} malformed calls, ${f.rpcGarbage.refusedCleanly} refused with a reason, ${f.rpcGarbage.unexpected} unexpected`
  if (f.membership) {
    const m = f.membership
    const parts = [m.applied ? 'committed' : 'NOT COMMITTED']
    if (m.caughtUp !== undefined) parts.push(m.caughtUp ? 'the new node caught up' : 'the new node DID NOT catch up')
    if (m.connectionsLeft !== undefined) parts.push(`${m.connectionsLeft} connection(s) left`)
    if (m.refusal !== undefined) parts.push(`its transaction refused with ${m.refusal}`)
    if (f.fault.kind === 'vote') parts.unshift(`${f.fault.voters?.join(' ')} → ${f.fault.candidates?.join(' ')}`)
    return `${head}: ${parts.join(', ')}`
  }
  const parts = [`commits resumed after ${secs(f.resumeMs)}`]
  if (f.catchUpMs !== null || f.fault.node) parts.push(`caught up after ${secs(f.catchUpMs)}`)
  if (f.durable !== undefined) parts.push(f.durable ? 'committed blocks kept' : 'COMMITTED BLOCKS LOST')
  return `${head}: ${parts.join(', ')}`
}

export function formatRun(r: ChaosReport): string {
  const l = r.load
  const rejected = Object.entries(l.rejected)
    .map(([c, n]) => `${c}×${n}`)
    .join(', ')
  const violations = [
    ...r.safety.violations,
    ...r.integrity.violations,
    ...r.punishment.violations,
    ...r.liveness.violations,
    ...r.permission.violations,
    ...r.accounting.violations,
  ]
  return [
    `${r.scenario} (seed ${r.seed}${r.quick ? ', quick' : ''}): ${r.ok ? 'PASS' : 'FAIL'} in ${secs(r.durationMs)}`,
    `  network      ${r.nodes} nodes, ${r.shards} shard(s), heads ${r.heads.join('/')}; misbehaving: ${
      Object.entries(r.byzantine)
        .map(([n, b]) => `${n} (${b.join(', ')})`)
        .join('; ') || 'none'
    }`,
    ...(r.fl
      ? []
      : [
          `  twin calls   ${l.submitted} submitted: ${l.committed} committed, ${Object.values(l.rejected).reduce((a, b) => a + b, 0)} rejected${rejected ? ` (${rejected})` : ''}, ${l.lost} lost; ${l.resubmitted} resent; p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms`,
        ]),
    ...r.faults.map(f => `  fault        ${faultLine(f)}`),
    `  safety       heights ${r.safety.heightsChecked.join('/')} identical on every honest node: ${r.safety.violations.length === 0 ? 'yes' : 'NO'}`,
    `  integrity    ${r.integrity.attackTxs} attack transactions, ${r.integrity.attackTxsCommitted} committed; ${r.integrity.twinCallsScanned} committed twin syncs checked (owner, sequence)`,
    ...(r.fl
      ? [
          `  learning     ${r.fl.rounds} rounds: chain ${pct(r.fl.chainAccuracy)} vs plain FedAvg without attackers ${pct(r.fl.cleanFedAvgAccuracy)} (FedAvg under the same attack ${pct(r.fl.attackedFedAvgAccuracy)}); ${r.fl.rejected} updates rejected, ${r.fl.poisonedAccepted} poisoned accepted`,
        ]
      : []),
    ...r.punishment.checked.map(
      p =>
        `  standing     ${p.node}: stake ${p.stake} of ${p.initialStake}, jailed until epoch ${p.jailedUntilEpoch}, reputation ${p.reputationBp} bp, elected ${p.elected}`,
    ),
    ...(r.fl
      ? []
      : [
          `  liveness     ${r.liveness.maxRecoveryMs === null ? 'no process fault' : `max recovery ${secs(r.liveness.maxRecoveryMs)}`} (bound ${secs(r.liveness.boundMs)}); ${(r.heads.reduce((a, b) => a + b, 0) / (r.durationMs / 1000)).toFixed(1)} heights/s over the run`,
        ]),
    ...violations.map(v => `  VIOLATION    ${v}`),
  ].join('\n')
}

export interface MatrixSummary {
  scenarios: number
  runs: number
  failed: number
  safetyViolations: number
  integrityViolations: number
  lostCalls: number
  /** resume and catch-up times after every process fault of every run */
  recoveryP50Ms: number | null
  maxRecoveryMs: number | null
}

export function summarize(reports: ChaosReport[]): MatrixSummary {
  const rec = reports.map(r => r.liveness.maxRecoveryMs).filter((x): x is number => x !== null)
  const all = reports
    .flatMap(r => r.faults.flatMap(f => [f.resumeMs, f.catchUpMs]))
    .filter((x): x is number => typeof x === 'number')
    .sort((a, b) => a - b)
  return {
    scenarios: new Set(reports.map(r => r.scenario)).size,
    runs: reports.length,
    failed: reports.filter(r => !r.ok).length,
    safetyViolations: reports.reduce((n, r) => n + r.safety.violations.length, 0),
    integrityViolations: reports.reduce((n, r) => n + r.integrity.violations.length, 0),
    lostCalls: reports.reduce((n, r) => n + r.load.lost, 0),
    recoveryP50Ms: all.length ? all[Math.floor(all.length / 2)]! : null,
    maxRecoveryMs: rec.length ? Math.max(...rec) : null,
  }
}

export function formatMatrix(reports: ChaosReport[]): string {
  return formatTable(
    [
      'SCENARIO',
      'SEED',
      'RESULT',
      'HEADS',
      'CALLS OK/SENT',
      'LOST',
      'SAFETY',
      'INTEGRITY',
      'ATTACK TXS',
      'MAX RECOVERY',
      'ACCURACY CHAIN/CLEAN',
      'TIME',
    ],
    reports.map(r => [
      r.scenario,
      String(r.seed),
      r.ok ? 'pass' : 'FAIL',
      r.heads.join('/'),
      `${r.load.committed}/${r.load.submitted}`,
      String(r.load.lost),
      String(r.safety.violations.length),
      String(r.integrity.violations.length),
      `${r.integrity.attackTxsCommitted}/${r.integrity.attackTxs}`,
      r.liveness.maxRecoveryMs === null ? '-' : secs(r.liveness.maxRecoveryMs),
      r.fl ? `${pct(r.fl.chainAccuracy)} / ${pct(r.fl.cleanFedAvgAccuracy)}` : '-',
      secs(r.durationMs),
    ]),
  )
}
