/** Network: the members with connection state, stake, votes, reputation terms, jail; delegates and committees; this node's health. */
import { call } from '../rpc'
import { usePoll } from '../poll'
import { useNetwork } from '../network'
import { Mark, Problem, Section, Table, ago, pct } from '../ui'

interface Readiness {
  ready: boolean
  reasons?: string[]
  [k: string]: unknown
}

async function readiness(): Promise<Readiness> {
  const res = await fetch('./readyz')
  return (await res.json()) as Readiness
}

export function NetworkPage() {
  const { status, consensus, error } = useNetwork()
  const ready = usePoll(readiness, 5000)
  const peers = new Map((status?.memberPeers.peers ?? []).map(p => [p.name, p]))
  const delegates = new Set(consensus?.delegates ?? [])
  const members = consensus?.members ?? []
  return (
    <>
      <Section title="This node">
        <Problem error={error} />
        {status && (
          <dl class="facts">
            <dt>name</dt>
            <dd>{status.name}</dd>
            <dt>chain</dt>
            <dd>{status.chainId}</dd>
            <dt>version</dt>
            <dd>{status.version}</dd>
            <dt>up</dt>
            <dd>{(status.uptimeMs / 1000).toFixed(0)} s</dd>
            <dt>member peers</dt>
            <dd>
              {status.memberPeers.connected} of {status.memberPeers.total} connected
            </dd>
            <dt>readiness</dt>
            <dd data-testid="readiness">
              {ready.data ? (
                ready.data.ready ? (
                  <Mark tone="ok">ready</Mark>
                ) : (
                  <Mark tone="warn">not ready: {(ready.data.reasons ?? []).join('; ') || 'see /readyz'}</Mark>
                )
              ) : (
                '…'
              )}
            </dd>
          </dl>
        )}
      </Section>
      <Section title={`Committees — epoch ${consensus?.epoch ?? '…'}`}>
        <Table
          head={['shard', 'height', 'round / step', 'committee', 'proposer now', 'mempool']}
          rows={(consensus?.shards ?? []).map(s => [
            <a href={`#/chain/${s.shard}`}>shard {s.shard}</a>,
            <span data-testid={`height-${s.shard}`}>{s.height}</span>,
            `${s.round} / ${s.step}`,
            s.committee.join(', '),
            s.proposer ?? '—',
            s.mempool,
          ])}
        />
      </Section>
      <Section
        title="Members"
        aside={<span class="muted">reputation = weighted Enc, Rou, Prop, Hist terms; delegates are top-k by votes × reputation</span>}
      >
        <Table
          head={['member', 'connection', 'role', 'stake', 'votes', 'reputation', 'Enc', 'Rou', 'Prop', 'Hist', 'jail', 'votes cast / due']}
          rows={members.map(m => {
            const p = peers.get(m.name)
            const self = status?.name === m.name
            const jailed = m.jailedUntilEpoch > (consensus?.epoch ?? 0)
            return [
              <strong>{m.name}</strong>,
              self ? (
                <Mark tone="info">this node</Mark>
              ) : p?.connected ? (
                <Mark tone="ok">connected {p.lastStatusAgoMs !== null ? `· status ${ago(Date.now() - p.lastStatusAgoMs)}` : ''}</Mark>
              ) : m.removed ? (
                <Mark tone="info">removed</Mark>
              ) : (
                <Mark tone="bad">disconnected</Mark>
              ),
              m.removed ? (
                'removed'
              ) : delegates.has(m.name) ? (
                <Mark tone="ok">delegate · committee {m.committee ?? '—'}</Mark>
              ) : (
                <Mark tone="wait">stand-by</Mark>
              ),
              m.stake.toLocaleString('en'),
              m.votes.toLocaleString('en'),
              pct(m.reputationBp),
              pct(m.terms.encBp),
              pct(m.terms.rouBp),
              pct(m.terms.propBp),
              pct(m.terms.histBp),
              jailed ? <Mark tone="bad">until epoch {m.jailedUntilEpoch}</Mark> : <Mark tone="ok">free</Mark>,
              `${m.counters.votesCast ?? 0} / ${m.counters.votesDue ?? 0}`,
            ]
          })}
        />
      </Section>
    </>
  )
}

export async function readStatus() {
  return Promise.all([call('node_status'), call('consensus_status')])
}
