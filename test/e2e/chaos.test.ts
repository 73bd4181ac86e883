/**
 * Chaos runs as a user starts them (`diten chaos run <scenario> --quick`, separate node
 * processes): one Byzantine member of 4, a crash/restart with kill -9, a partition. Each must
 * exit 0 with every invariant holding in its report.
 */
import { describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBasePort, runCli } from './proc.js'
import type { ChaosReport } from '../../node/harness/chaos/runner.js'

async function chaos(scenario: string): Promise<{ code: number | null; output: string; report: ChaosReport }> {
  const out = await mkdtemp(join(tmpdir(), 'diten-chaos-test-'))
  try {
    const r = await runCli(['chaos', 'run', scenario, '--quick', '--out', out, '--base-port', String(randomBasePort())], 150_000)
    const report = JSON.parse(await readFile(join(out, `${scenario}-seed1.json`), 'utf8').catch(() => 'null')) as ChaosReport
    if (!report) throw new Error(`no report; output:\n${r.output}`)
    return { ...r, report }
  } finally {
    await rm(out, { recursive: true, force: true })
  }
}

function expectHealthy(r: ChaosReport): void {
  expect(r.safety.violations).toEqual([])
  expect(r.integrity.violations).toEqual([])
  expect(r.accounting.violations).toEqual([])
  expect(r.liveness.violations).toEqual([])
  expect(r.load.lost).toBe(0)
  expect(r.load.committed).toBeGreaterThan(50)
  expect(r.integrity.twinCallsScanned).toBeGreaterThanOrEqual(r.load.committed)
  expect(r.safety.heightsChecked[0]).toBeGreaterThan(10)
}

describe('diten chaos run (separate processes)', () => {
  it('one equivocating member of 4: safety holds, it is slashed and jailed, calls all land', async () => {
    const { code, output, report } = await chaos('byzantine-equivocate')
    expect(code, output).toBe(0)
    expectHealthy(report)
    expect(report.punishment.checked[0]).toMatchObject({ node: 'node-3' })
    expect(report.punishment.checked[0]!.stake).toBeLessThan(report.punishment.checked[0]!.initialStake)
    expect(output).toContain('PASS')
  }, 180_000)

  it('kill -9 and restart: committed blocks survive, the node catches up, no call is lost', async () => {
    const { code, output, report } = await chaos('crash-restart')
    expect(code, output).toBe(0)
    expectHealthy(report)
    const kill = report.faults.find(f => f.fault.kind === 'kill')!
    expect(kill.durable).toBe(true)
    expect(kill.catchUpMs).not.toBeNull()
  }, 180_000)

  it('a partitioned member rejoins and catches up; the others keep committing', async () => {
    const { code, output, report } = await chaos('partition')
    expect(code, output).toBe(0)
    expectHealthy(report)
    const p = report.faults.find(f => f.fault.kind === 'partition')!
    expect(p.error).toBeUndefined()
    expect(p.catchUpMs).not.toBeNull()
  }, 180_000)
})
