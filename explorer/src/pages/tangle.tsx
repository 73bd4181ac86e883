/** Tangle: the recent DAG as a graph (states by shape), live; a vertex's weight and state on hover or tap; confirmation latency. */
import { useState } from 'preact/hooks'
import { call } from '../rpc'
import { usePoll } from '../poll'
import { TangleGraph, stateOf, type VertexState } from '../graph'
import { Hash, Loading, Mark, Problem, Section, Table, ago, type Tone } from '../ui'
import type { TangleVertex } from '../types'

interface Recent {
  cwThreshold: number
  txs: TangleVertex[]
}
interface Stats {
  count: number
  tips: number
  confirmed: number
  pendingSolidification: number
  orphaned: number
  pruned: number
}

const TONE: Record<VertexState, Tone> = { tip: 'info', pending: 'wait', confirmed: 'ok', orphaned: 'warn', invalid: 'bad', unsolid: 'wait' }

const LEGEND: [string, string, string][] = [
  ['◆', 'tip', 'approvable, no valid approver yet'],
  ['○', 'pending', 'approved, cumulative weight below the threshold'],
  ['●', 'confirmed', 'cumulative weight ≥ threshold and approvals from enough members'],
  ['▲', 'orphaned', 'fell below max depth; its trainer may reattach'],
  ['★', 'invalid', 'fails a model rule; never approved by honest nodes'],
  ['▢', 'unsolid', 'a parent is still missing'],
]

function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

export function TanglePage() {
  const [limit, setLimit] = useState(120)
  const recent = usePoll(() => call<Recent>('tangle_recent', { limit }), 2000, [limit])
  const stats = usePoll(() => call<Stats>('tangle_stats'), 4000)
  const [picked, setPicked] = useState<TangleVertex | undefined>()
  const txs = recent.data?.txs ?? []
  const latencies = txs.filter(v => v.confirmedAt !== null).map(v => v.confirmedAt! - v.time)
  const med = median(latencies)
  const live = picked ? (txs.find(v => v.id === picked.id) ?? picked) : undefined
  return (
    <>
      <Section
        title="Tangle"
        aside={
          <label>
            show the newest{' '}
            <select value={limit} onChange={e => setLimit(Number((e.target as HTMLSelectElement).value))}>
              {[60, 120, 250, 500].map(n => (
                <option value={n}>{n}</option>
              ))}
            </select>
          </label>
        }
      >
        <Problem error={recent.error} />
        {stats.data && (
          <p class="facts-line">
            {stats.data.count} transactions · {stats.data.tips} tips · {stats.data.confirmed} confirmed · {stats.data.orphaned} orphaned ·{' '}
            {stats.data.pendingSolidification} waiting for parents · {stats.data.pruned} pruned · confirmation at CW ≥{' '}
            {recent.data?.cwThreshold}
            {med !== undefined && (
              <>
                {' '}
                · median confirmation latency <strong>{(med / 1000).toFixed(1)} s</strong> (of {latencies.length} shown)
              </>
            )}
          </p>
        )}
        {!recent.data && !recent.error && <Loading what="the tangle" />}
        {recent.data && txs.length === 0 && (
          <p class="muted">No local model updates yet: they appear when federated learning runs (diten fl run).</p>
        )}
        <div class="graph-row">
          <TangleGraph vertices={txs} onPick={setPicked} />
          <aside class="vertex" aria-live="polite">
            {live ? (
              <dl class="facts">
                <dt>id</dt>
                <dd>
                  <Hash id={live.id} n={16} />
                </dd>
                <dt>state</dt>
                <dd data-testid="vertex-state">{stateOf(live)}</dd>
                <dt>cumulative weight</dt>
                <dd>
                  {live.cw} (own {live.weight})
                </dd>
                <dt>member</dt>
                <dd>{live.member}</dd>
                <dt>issued</dt>
                <dd>{ago(live.time)}</dd>
                <dt>confirmed after</dt>
                <dd>{live.confirmedAt ? `${((live.confirmedAt - live.time) / 1000).toFixed(1)} s` : '—'}</dd>
                <dt>parents</dt>
                <dd>
                  <Hash id={live.trunk} /> <Hash id={live.branch} />
                </dd>
              </dl>
            ) : (
              <p class="muted">Hover or tap a vertex for its weight and state.</p>
            )}
            <ul class="legend">
              {LEGEND.map(([s, name, what]) => (
                <li>
                  <span class={`legend-mark ${name}`} aria-hidden="true">
                    {s}
                  </span>{' '}
                  <strong>{name}</strong> — {what}
                </li>
              ))}
            </ul>
          </aside>
        </div>
      </Section>
      <Section title="Newest transactions">
        <Table
          head={['id', 'state', 'CW', 'weight', 'member', 'issued', 'confirmed after']}
          rows={txs
            .slice(0, 15)
            .map(v => [
              <Hash id={v.id} />,
              <Mark tone={TONE[stateOf(v)]}>{stateOf(v)}</Mark>,
              v.cw,
              v.weight,
              v.member,
              ago(v.time),
              v.confirmedAt ? `${((v.confirmedAt - v.time) / 1000).toFixed(1)} s` : '—',
            ])}
          empty="No transactions."
        />
      </Section>
    </>
  )
}
