/**
 * Faults: what a fault-injection run did (the node's fault journal: nodes that misbehave by
 * config, faults applied and ended, invariants checked and their verdicts) on a timeline next to
 * the shard heights.
 */
import { useRef } from 'preact/hooks'
import { batch, call, RpcError } from '../rpc'
import { useNetwork } from '../network'
import { usePoll } from '../poll'
import { LineChart, type Band } from '../chart'
import { heightSamples } from '../heights'
import { Mark, Problem, Section, Table } from '../ui'
import type { Header, JournalEntry } from '../types'

interface Journal {
  behaviours: string[]
  partitioned: boolean
  entries: JournalEntry[]
}

const COLORS = ['#1565c0', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f', '#4e342e', '#ad1457', '#37474f']
const DASHES = [undefined, [6, 4], [2, 3], [10, 3, 2, 3]]

/** fault start/end pairs as intervals (an unended fault runs to now) */
function bandsOf(entries: JournalEntry[], now: number): (Band & { node?: string; name: string })[] {
  const open = new Map<string, JournalEntry>()
  const out: (Band & { node?: string; name: string })[] = []
  for (const e of entries) {
    const key = `${e.name}/${e.node ?? ''}`
    if (e.kind === 'fault') open.set(key, e)
    if (e.kind === 'fault-end') {
      const s = open.get(key)
      open.delete(key)
      if (s) out.push({ from: s.at, to: e.at, label: `${e.name}${e.node ? ` ${e.node}` : ''}`, name: e.name, node: e.node })
    }
  }
  for (const s of open.values())
    out.push({ from: s.at, to: now, label: `${s.name}${s.node ? ` ${s.node}` : ''} (ongoing)`, name: s.name, node: s.node })
  return out.sort((a, b) => a.from - b.from)
}

export function FaultsPage() {
  const all = useRef<JournalEntry[]>([])
  const { consensus } = useNetwork()
  const shardCount = consensus?.shards.length ?? 1
  // the newest 100 finalized headers of each shard: exact heights over time for the recent past
  const recent = usePoll(
    async () => {
      const r = await batch<{ headers: Header[] }>(
        Array.from({ length: shardCount }, (_, s) => ['chain_getHeaders', { shard: s, limit: 100 }]),
      )
      return r.flatMap((x, s) => (x instanceof RpcError ? [] : x.headers.map(h => ({ s, at: h.time, height: h.height }))))
    },
    5000,
    [shardCount],
  )
  const j = usePoll(async () => {
    const last = all.current[all.current.length - 1]?.seq ?? 0
    const r = await call<Journal>('chaos_journal', { afterSeq: last })
    // the node restarted (its journal is in memory): start over
    if (r.entries.length && r.entries[0]!.seq <= last) all.current = []
    all.current = [...all.current, ...r.entries].slice(-2000)
    return r
  }, 3000)
  const entries = all.current
  const now = Date.now()
  const bands = bandsOf(entries, now)
  // heights from block times, this page's samples and the journal's stamps, in time order
  const fromBlocks = (recent.data ?? []).map(b => {
    const heads: (number | null)[] = Array.from({ length: shardCount }, () => null)
    heads[b.s] = b.height
    return { at: b.at, heads }
  })
  const points: { at: number; heads: (number | null)[] }[] = [
    ...heightSamples(),
    ...entries.map(e => ({ at: e.at, heads: e.heads })),
    ...fromBlocks,
  ].sort((a, b) => a.at - b.at)
  const t0 = Math.min(points[0]?.at ?? now, bands[0]?.from ?? now)
  const shards = Math.max(1, ...points.map(p => p.heads.length))
  const behaviours = entries.filter(e => e.kind === 'behaviour')
  const checks = entries.filter(e => e.kind === 'invariant')
  return (
    <>
      <Section title="Fault injection">
        <Problem error={j.error} />
        <p>
          This node:{' '}
          {j.data?.behaviours.length ? (
            <Mark tone="bad">misbehaves on purpose: {j.data.behaviours.join(', ')}</Mark>
          ) : (
            <Mark tone="ok">no fault switch</Mark>
          )}
          {j.data?.partitioned && (
            <>
              {' '}
              <Mark tone="warn">partitioned now</Mark>
            </>
          )}
        </p>
        <Table
          head={['node', 'misbehaviour (config switch)']}
          rows={behaviours.map(b => [b.node ?? '—', <Mark tone="bad">{b.name}</Mark>])}
          empty="No misbehaving node recorded: start one with diten devnet --byzantine node-2:equivocate, or run diten chaos run <scenario>."
        />
      </Section>
      <Section
        title="Timeline: heights and faults"
        aside={<span class="muted">shaded: a fault in force; seconds since the first point</span>}
      >
        {points.length > 1 ? (
          <LineChart
            testid="faults-chart"
            x={points.map(p => (p.at - t0) / 1000)}
            xLabel="seconds"
            yLabel="height"
            series={Array.from({ length: shards }, (_, s) => ({
              label: `shard ${s}`,
              values: points.map(p => p.heads[s] ?? null),
              gaps: true,
              color: COLORS[s % COLORS.length]!,
              ...(DASHES[s % DASHES.length] ? { dash: DASHES[s % DASHES.length]! } : {}),
            }))}
            bands={bands.map(b => ({ ...b, from: (b.from - t0) / 1000, to: (b.to - t0) / 1000 }))}
          />
        ) : (
          <p class="muted">Heights appear as this page watches the chain.</p>
        )}
      </Section>
      <Section title="Faults">
        <Table
          head={['fault', 'node', 'from (s)', 'to (s)', 'lasted']}
          rows={bands.map(b => [
            b.name,
            b.node ?? 'network',
            ((b.from - t0) / 1000).toFixed(1),
            ((b.to - t0) / 1000).toFixed(1),
            `${((b.to - b.from) / 1000).toFixed(1)} s`,
          ])}
          empty="No fault applied while this node ran."
        />
      </Section>
      <Section title="Invariants checked">
        <Table
          head={['invariant', 'verdict', 'detail', 'at heights']}
          rows={checks.map(c => [
            c.name,
            c.ok ? <Mark tone="ok">held</Mark> : <Mark tone="bad">violated</Mark>,
            c.detail ?? '',
            c.heads.join(' / '),
          ])}
          empty="No check reported yet: a chaos run reports safety, integrity, punishment, liveness, permission and accounting when it ends."
        />
      </Section>
    </>
  )
}
