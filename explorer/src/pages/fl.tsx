/**
 * Federated learning: the open round and its updates with verdicts; closed rounds with the global
 * model's accuracy and loss, accepted and rejected updates per member with reason codes, which
 * committee verified what, the model hash per round, and coins.
 */
import { call } from '../rpc'
import { usePoll } from '../poll'
import { LineChart } from '../chart'
import { Hash, Loading, Mark, Problem, Section, Table, pct } from '../ui'

interface Update {
  id: string
  round: number
  member: string
  shard: number
  modelHash: string
  dataSize: number
  trainers: unknown[]
  tangleIds: string[]
  outcome: 'pending' | 'accepted' | 'rejected'
  code?: string
  detail?: string
  verdicts: { verifier: string; accept: boolean; accuracyBp: number; reason: string; trustBp: number }[]
}
interface Closed {
  round: number
  model: string
  validation: { accuracy: number; loss: number } | null
  height: number
  time: number
  updates: Update[]
  shards: { shard: number; height: number }[]
  participants: { member: string; committee: number; dataSize: number; trainers: string[] }[]
}
interface FlStatus {
  enabled: boolean
  round: number
  rounds: number
  done: boolean
  model: string
  mode: string
  aggregation: string
  participants: { member: string; committee: number; dataSize: number; trainers: string[] }[]
  updates: Update[]
  closed: Closed[]
  members: { name: string; stake: number; rejectedUpdates: number; badVerdicts: number }[]
  trainerCoins: unknown
}

function Outcome({ u }: { u: Update }) {
  if (u.outcome === 'accepted') return <Mark tone="ok">accepted</Mark>
  if (u.outcome === 'pending') return <Mark tone="wait">pending</Mark>
  return (
    <Mark tone="bad">
      rejected {u.code}
      {u.detail ? `: ${u.detail}` : ''}
    </Mark>
  )
}

function Verdicts({ u }: { u: Update }) {
  if (!u.verdicts.length) return <span class="muted">none yet</span>
  return (
    <span>
      {u.verdicts.map(v => (
        <span class="verdict">
          {v.verifier} {v.accept ? '✓' : `✕ ${v.reason}`} {pct(v.accuracyBp)}
          {v.trustBp < 10_000 ? ` trust ${pct(v.trustBp)}` : ''}{' '}
        </span>
      ))}
    </span>
  )
}

function updateRows(us: Update[]) {
  return us.map(u => [
    <strong>{u.member}</strong>,
    `committee ${u.shard}`,
    u.dataSize.toLocaleString('en'),
    u.tangleIds.length,
    <Outcome u={u} />,
    <Verdicts u={u} />,
    <Hash id={u.modelHash} />,
  ])
}
const UPDATE_HEAD = [
  'member',
  'verified by',
  'data',
  'local updates',
  'outcome',
  'verdicts (verifier, accept, validation accuracy)',
  'model',
]

export function FlPage() {
  const s = usePoll(() => call<FlStatus>('fl_status'), 3000)
  const f = s.data
  if (!f) return s.error ? <Problem error={s.error} /> : <Loading what="federated learning" />
  const closed = [...f.closed].sort((a, b) => a.round - b.round)
  const rounds = closed.map(c => c.round)
  const verdictMean = closed.map(c => {
    const acc = c.updates.filter(u => u.outcome === 'accepted').flatMap(u => u.verdicts.map(v => v.accuracyBp / 100))
    return acc.length ? acc.reduce((a, b) => a + b, 0) / acc.length : null
  })
  return (
    <>
      <Section title="Federated learning">
        <dl class="facts">
          <dt>status</dt>
          <dd data-testid="fl-round">
            {!f.enabled ? (
              <Mark tone="info">off in this network's genesis</Mark>
            ) : f.done ? (
              <Mark tone="ok">all {f.rounds} rounds done</Mark>
            ) : (
              <Mark tone="wait">
                round {f.round} of {f.rounds} open
              </Mark>
            )}
          </dd>
          <dt>mode / aggregation</dt>
          <dd>
            {f.mode} / {f.aggregation}
          </dd>
          <dt>current global model</dt>
          <dd>
            <Hash id={f.model} n={16} />
          </dd>
        </dl>
      </Section>
      <Section title="Accuracy and loss per round">
        {closed.length ? (
          <LineChart
            testid="fl-chart"
            integerX
            yClamp={[0, 100]}
            x={rounds}
            xLabel="round"
            yLabel="accuracy (%)"
            y2Label="loss"
            series={[
              {
                label: 'M(e) validation accuracy (this node)',
                values: closed.map(c => (c.validation ? c.validation.accuracy * 100 : null)),
                color: '#1565c0',
              },
              { label: 'accepted updates, mean verdict accuracy', values: verdictMean, color: '#2e7d32', dash: [6, 4] },
              {
                label: 'M(e) validation loss',
                values: closed.map(c => c.validation?.loss ?? null),
                color: '#c62828',
                dash: [2, 3],
                scale: 'y2',
              },
            ]}
          />
        ) : (
          <p class="muted">No round has closed yet.</p>
        )}
        <Table
          head={['round', 'global model', 'accuracy', 'loss', 'accepted', 'rejected', 'closed at']}
          rows={[...closed]
            .reverse()
            .map(c => [
              c.round,
              <Hash id={c.model} />,
              <span data-testid={`fl-acc-${c.round}`}>{c.validation ? `${(c.validation.accuracy * 100).toFixed(2)} %` : '—'}</span>,
              c.validation ? c.validation.loss.toFixed(3) : '—',
              c.updates.filter(u => u.outcome === 'accepted').length,
              c.updates.filter(u => u.outcome === 'rejected').length,
              c.shards.map(x =>
                x.height ? (
                  <a href={`#/block/${x.shard}/${x.height}`}>{`${x.shard}@${x.height} `}</a>
                ) : (
                  <Mark tone="warn">shard {x.shard} missed</Mark>
                ),
              ),
            ])}
        />
      </Section>
      {!f.done && f.enabled && (
        <Section title={`Round ${f.round}: updates so far`}>
          <Table head={UPDATE_HEAD} rows={updateRows(f.updates)} empty="No fl.update submitted yet this round." />
        </Section>
      )}
      {[...closed]
        .reverse()
        .slice(0, 5)
        .map(c => (
          <Section key={c.round} title={`Round ${c.round}: updates`}>
            <Table head={UPDATE_HEAD} rows={updateRows(c.updates)} empty="No updates in this round." />
          </Section>
        ))}
      <Section title="Coins and record">
        <Table
          head={['member', 'stake (training coins)', 'rejected updates', 'verdicts against the outcome']}
          rows={f.members.map(m => [m.name, m.stake.toLocaleString('en'), m.rejectedUpdates, m.badVerdicts])}
        />
      </Section>
    </>
  )
}
