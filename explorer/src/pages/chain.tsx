/**
 * Chain: per shard, the newest finalized blocks as they arrive; a block's detail (proposer,
 * round, transactions with kind and status, certificate signers, cross-links); a transaction
 * looked up by id with its status or refusal reason.
 */
import { useState } from 'preact/hooks'
import { batch, call, RpcError } from '../rpc'
import { usePoll } from '../poll'
import { useNetwork } from '../network'
import { Hash, Loading, Mark, Problem, Section, Table, ago, short } from '../ui'
import type { BlockView, Header, TxStatus } from '../types'

interface Headers {
  shard: number
  head: number
  headers: (Header & { crossLinks: { shard: number; height: number; headerHash: string }[] })[]
}

export function TxSearch() {
  const [q, setQ] = useState('')
  const id = q.trim().toLowerCase()
  const ok = /^[0-9a-f]{64}$/.test(id)
  return (
    <form
      class="search"
      onSubmit={e => {
        e.preventDefault()
        if (ok) location.hash = `#/tx/${id}`
      }}
    >
      <label>
        Transaction id{' '}
        <input value={q} onInput={e => setQ((e.target as HTMLInputElement).value)} placeholder="64 hex characters" size={40} />
      </label>
      <button type="submit" disabled={!ok}>
        Look up
      </button>
      {q && !ok && <span class="muted"> an id is 64 hex characters</span>}
    </form>
  )
}

export function ChainPage({ shard }: { shard?: number }) {
  const { consensus, nameOfKey } = useNetwork()
  const shards = consensus?.shards.map(s => s.shard) ?? [0]
  const shown = shard === undefined ? shards : [shard]
  const heads = usePoll(
    () => batch<Headers>(shown.map(s => ['chain_getHeaders', { shard: s, limit: shard === undefined ? 10 : 30 }])),
    2000,
    [shown.join(',')],
  )
  return (
    <>
      <Section title="Look up a transaction">
        <TxSearch />
      </Section>
      <Problem error={heads.error} />
      {!heads.data && <Loading what="blocks" />}
      {(heads.data ?? []).map((h, i) =>
        h instanceof RpcError ? (
          <Problem error={h.message} />
        ) : (
          <Section
            key={h.shard}
            title={`Shard ${h.shard}`}
            aside={
              <span>
                finalized height <strong data-testid={`chain-head-${h.shard}`}>{h.head}</strong>
                {shard === undefined && (
                  <>
                    {' · '}
                    <a href={`#/chain/${shown[i]}`}>more blocks</a>
                  </>
                )}
              </span>
            }
          >
            <Table
              head={['height', 'round', 'proposer', 'time', 'cross-links', 'state root']}
              rows={h.headers.map((b, j) => [
                <a href={`#/block/${b.shard}/${b.height}`}>{b.height}</a>,
                b.round === 0 ? '0' : <Mark tone="warn">{b.round}</Mark>,
                nameOfKey(b.proposer),
                <span title={new Date(b.time).toISOString()}>
                  {ago(b.time)}
                  {h.headers[j + 1] ? <span class="muted"> (+{((b.time - h.headers[j + 1]!.time) / 1000).toFixed(1)} s)</span> : null}
                </span>,
                b.crossLinks.length ? b.crossLinks.map(l => `${l.shard}@${l.height}`).join(' ') : '—',
                <Hash id={b.stateRoot} />,
              ])}
              empty="No blocks yet."
            />
          </Section>
        ),
      )}
    </>
  )
}

interface BlockDetail {
  full: BlockView
  ids: string[]
  statuses: (TxStatus | RpcError)[]
  committee: { members: (string | null)[] } | RpcError
}

async function readBlock(shard: number, height: number): Promise<BlockDetail> {
  const full = await call<BlockView>('chain_getBlock', { shard, height })
  const idsView = await call<BlockView>('chain_getBlock', { shard, height, format: 'ids' })
  const ids = idsView.block.txIds ?? []
  const shown = ids.slice(0, 100)
  const [committee, ...statuses] = await batch<unknown>([
    ['chain_committee', { shard, height }],
    ...shown.map(id => ['tx_get', { id }] as [string, Record<string, unknown>]),
  ])
  return { full, ids, statuses: statuses as (TxStatus | RpcError)[], committee: committee as BlockDetail['committee'] }
}

export function BlockPage({ shard, height }: { shard: number; height: number }) {
  const { nameOfKey } = useNetwork()
  const b = usePoll(() => readBlock(shard, height), 60_000, [shard, height])
  const d = b.data
  const h = d?.full.block.header as (Header & { crossLinks: { shard: number; height: number; headerHash: string }[] }) | undefined
  const signers = d
    ? d.full.cert.sigs.map(s =>
        d.committee instanceof RpcError ? `#${s.validator}` : (d.committee.members[s.validator] ?? `#${s.validator}`),
      )
    : []
  return (
    <>
      <p>
        <a href={`#/chain/${shard}`}>← shard {shard}</a>
        {' · '}
        {height > 1 && <a href={`#/block/${shard}/${height - 1}`}>previous</a>}
        {' · '}
        <a href={`#/block/${shard}/${height + 1}`}>next</a>
      </p>
      <Problem error={b.error} />
      {!d && !b.error && <Loading what="the block" />}
      {d && h && (
        <>
          <Section title={`Block ${shard}@${height}`}>
            <dl class="facts">
              <dt>proposer</dt>
              <dd>{nameOfKey(h.proposer)}</dd>
              <dt>round</dt>
              <dd>{h.round}</dd>
              <dt>time</dt>
              <dd>{new Date(h.time).toISOString()}</dd>
              <dt>block hash</dt>
              <dd>
                <code class="wrap">{d.full.cert.blockHash}</code>
              </dd>
              <dt>previous</dt>
              <dd>
                <Hash id={h.prevHash} href={height > 1 ? `#/block/${shard}/${height - 1}` : undefined} />
              </dd>
              <dt>state root</dt>
              <dd>
                <code class="wrap">{h.stateRoot}</code>
              </dd>
              <dt>certificate</dt>
              <dd data-testid="signers">
                {signers.length} signatures (round {d.full.cert.round}): {signers.join(', ')}
              </dd>
              <dt>cross-links</dt>
              <dd>
                {h.crossLinks.length
                  ? h.crossLinks.map(l => (
                      <a href={`#/block/${l.shard}/${l.height}`}>
                        shard {l.shard} @ {l.height}{' '}
                      </a>
                    ))
                  : 'none'}
              </dd>
              <dt>transactions</dt>
              <dd>
                {d.ids.length} ({d.full.txBytes.toLocaleString('en')} bytes)
              </dd>
            </dl>
          </Section>
          <Section title="Transactions" aside={d.ids.length > 100 ? <span class="muted">the first 100 of {d.ids.length}</span> : undefined}>
            <Table
              head={['#', 'id', 'kind', 'sender', 'nonce', 'status']}
              rows={(d.full.block.txs ?? [])
                .slice(0, 100)
                .map((tx, i) => [
                  i,
                  <Hash id={d.ids[i]} href={`#/tx/${d.ids[i]}`} />,
                  tx.body.kind,
                  nameOfKey(tx.body.sender),
                  tx.body.nonce,
                  <TxState s={d.statuses[i]} />,
                ])}
              empty="No transactions in this block."
            />
          </Section>
        </>
      )}
    </>
  )
}

function TxState({ s }: { s: TxStatus | RpcError | undefined }) {
  if (!s) return <span class="muted">—</span>
  if (s instanceof RpcError) return <Mark tone="bad">{s.message}</Mark>
  if (s.status === 'committed') return <Mark tone="ok">committed</Mark>
  if (s.status === 'pending') return <Mark tone="wait">pending</Mark>
  if (s.status === 'rejected')
    return (
      <Mark tone="bad">
        rejected {s.code}: {s.message}
      </Mark>
    )
  return <Mark tone="info">{s.status}</Mark>
}

export function TxPage({ id }: { id: string }) {
  const t = usePoll(() => call<TxStatus>('tx_get', { id }), 2000, [id])
  const s = t.data
  return (
    <>
      <Section title="Look up a transaction">
        <TxSearch />
      </Section>
      <Section title={`Transaction ${short(id, 16)}`}>
        <p>
          <code class="wrap">{id}</code>
        </p>
        <Problem error={t.error} />
        {s && (
          <dl class="facts">
            <dt>status</dt>
            <dd data-testid="tx-status">
              <TxState s={s} />
            </dd>
            {s.status === 'committed' && (
              <>
                <dt>block</dt>
                <dd>
                  <a href={`#/block/${s.shard}/${s.height}`}>
                    shard {s.shard} @ {s.height}
                  </a>
                  , position {s.index}
                </dd>
              </>
            )}
            {s.status === 'unknown' && (
              <>
                <dt>meaning</dt>
                <dd>this node has not seen it: not submitted here, not committed, or refused by another node</dd>
              </>
            )}
            {s.status === 'replaced' && (
              <>
                <dt>replaced by</dt>
                <dd>
                  <Hash id={String(s.by)} href={`#/tx/${String(s.by)}`} />
                </dd>
              </>
            )}
          </dl>
        )}
      </Section>
    </>
  )
}
