/**
 * Twins: search by namespace or id; a twin's live state, desired values, bound model and
 * prediction; its revision history as a timeline with what each change did. Updated live from
 * the node's event stream (GET /events) as syncs commit.
 */
import { useEffect, useState } from 'preact/hooks'
import { call, events } from '../rpc'
import { usePoll } from '../poll'
import { type Difference, historyDiffs } from '../diff'
import { useNetwork } from '../network'
import { Hash, Json, Loading, Mark, Problem, Section, Table, ago } from '../ui'
import type { TwinChange, TwinView } from '../types'

interface TwinList {
  twins: { twinId: string; revision: number; definition: string; retired: boolean }[]
  cursor: string | null
}

interface LiveEvent {
  twinId: string
  revision: number
  kind: string
  time: number
  shard: number
  height: number
}

/**
 * The newest events of a stream (newest first), and a counter that moves when new ones arrived.
 * Events are shown in batches at most every `gapMs`, so a busy network (thousands of syncs a
 * second) neither floods the page with renders nor, through `tick`, the node with reads.
 */
function useEvents(query: Record<string, string>, gapMs: number, keep = 20): { list: LiveEvent[]; tick: number; open: boolean } {
  const [state, setState] = useState<{ list: LiveEvent[]; tick: number; open: boolean }>({ list: [], tick: 0, open: false })
  const key = JSON.stringify(query)
  useEffect(() => {
    const es = events(query)
    let waiting: LiveEvent[] = []
    let timer: ReturnType<typeof setTimeout> | undefined
    let last = 0
    const flush = () => {
      timer = undefined
      last = performance.now()
      const batch = waiting.reverse()
      waiting = []
      setState(s => ({ list: [...batch, ...s.list].slice(0, keep), tick: s.tick + 1, open: true }))
    }
    es.onopen = () => setState(s => ({ ...s, open: true }))
    es.onerror = () => setState(s => ({ ...s, open: false }))
    const on = (m: MessageEvent<string>) => {
      waiting.push(JSON.parse(m.data) as LiveEvent)
      if (waiting.length > keep) waiting.shift()
      timer ??= setTimeout(flush, Math.max(0, last + gapMs - performance.now()))
    }
    es.addEventListener('twin', on as EventListener)
    return () => {
      clearTimeout(timer)
      es.close()
    }
  }, [key])
  return state
}

export function TwinsPage() {
  const [ns, setNs] = useState('')
  const [shownNs, setShownNs] = useState('')
  const [id, setId] = useState('')
  const live = useEvents(shownNs ? { namespace: shownNs } : {}, 2000)
  const list = usePoll(() => call<TwinList>('twin_list', { ...(shownNs ? { namespace: shownNs } : {}), limit: 50 }), 15_000, [
    shownNs,
    live.tick,
  ])
  return (
    <>
      <Section title="Find a twin">
        <form
          class="search"
          onSubmit={e => {
            e.preventDefault()
            if (id.trim()) location.hash = `#/twin/${encodeURIComponent(id.trim())}`
          }}
        >
          <label>
            Twin id <input value={id} onInput={e => setId((e.target as HTMLInputElement).value)} placeholder="namespace:name" size={28} />
          </label>
          <button type="submit" disabled={!id.trim()}>
            Open
          </button>
        </form>
        <form
          class="search"
          onSubmit={e => {
            e.preventDefault()
            setShownNs(ns.trim())
          }}
        >
          <label>
            Namespace <input value={ns} onInput={e => setNs((e.target as HTMLInputElement).value)} placeholder="all" size={20} />
          </label>
          <button type="submit">List</button>
        </form>
      </Section>
      <Section title="Live changes" aside={live.open ? <Mark tone="ok">stream open</Mark> : <Mark tone="wait">connecting</Mark>}>
        <Table
          head={['twin', 'revision', 'change', 'block', 'when']}
          rows={live.list.map(e => [
            <a href={`#/twin/${encodeURIComponent(e.twinId)}`}>{e.twinId}</a>,
            e.revision,
            e.kind,
            <a href={`#/block/${e.shard}/${e.height}`}>{`${e.shard}@${e.height}`}</a>,
            ago(e.time),
          ])}
          empty="Changes appear here as they commit."
        />
      </Section>
      <Section
        title={shownNs ? `Twins in ${shownNs}` : 'Twins'}
        aside={list.data?.cursor ? <span class="muted">the first 50</span> : undefined}
      >
        <Problem error={list.error} />
        {!list.data && !list.error && <Loading what="twins" />}
        {list.data && (
          <Table
            head={['twin', 'revision', 'definition', 'state']}
            rows={list.data.twins.map(t => [
              <a href={`#/twin/${encodeURIComponent(t.twinId)}`}>{t.twinId}</a>,
              t.revision,
              <code>{t.definition}</code>,
              t.retired ? <Mark tone="info">retired</Mark> : <Mark tone="ok">active</Mark>,
            ])}
            empty="No twins registered yet: diten twin register <namespace:name>"
          />
        )}
      </Section>
    </>
  )
}

const HISTORY = 30

export function TwinPage({ id }: { id: string }) {
  const { nameAt } = useNetwork()
  const live = useEvents({ twin: id }, 500)
  const twin = usePoll(() => call<TwinView>('twin_get', { twinId: id }), 30_000, [id, live.tick])
  const t = twin.data
  // the newest HISTORY changes, replayed onto the twin as it was before the first of them
  const from = Math.max(1, (t?.revision ?? 0) - HISTORY + 1)
  const history = usePoll(
    async () => {
      if (!t) return undefined
      const [h, base] = await Promise.all([
        call<{ changes: TwinChange[] }>('twin_history', { twinId: id, fromRevision: from, toRevision: t.revision }),
        from > 1 ? call<TwinView>('twin_get', { twinId: id, atRevision: from - 1 }) : undefined,
      ])
      return { changes: h.changes, diffs: new Map(historyDiffs(h.changes, base).map(d => [d.revision, d.diffs])) }
    },
    30_000,
    [id, t?.revision],
  )
  const changes = history.data?.changes ?? []
  const diffs = history.data?.diffs ?? new Map<number, Difference[]>()
  return (
    <>
      <p>
        <a href="#/twins">← twins</a>
      </p>
      <Section title={`Twin ${id}`} aside={live.open ? <Mark tone="ok">live</Mark> : <Mark tone="wait">connecting</Mark>}>
        <Problem error={twin.error} />
        {!t && !twin.error && <Loading what="the twin" />}
        {t && (
          <dl class="facts">
            <dt>revision</dt>
            <dd data-testid="twin-revision">{t.revision}</dd>
            <dt>definition</dt>
            <dd>
              <code>{t.definition}</code>
            </dd>
            <dt>device key</dt>
            <dd>
              <Hash id={t.owner} n={16} />
            </dd>
            <dt>hosted by</dt>
            <dd>{nameAt(t.host)}</dd>
            <dt>modified</dt>
            <dd>
              {new Date(t.modified).toISOString()} ({ago(t.modified)})
            </dd>
            <dt>state</dt>
            <dd>{t.retired ? <Mark tone="info">retired</Mark> : <Mark tone="ok">active</Mark>}</dd>
          </dl>
        )}
      </Section>
      {t && (
        <div class="columns">
          <Section title="Live state">
            <Json value={Object.fromEntries(Object.entries(t.features).map(([f, v]) => [f, v.properties ?? {}]))} />
          </Section>
          <Section title="Desired values">
            <Json
              value={Object.fromEntries(
                Object.entries(t.features)
                  .filter(([, v]) => v.desiredProperties)
                  .map(([f, v]) => [f, v.desiredProperties]),
              )}
            />
          </Section>
          <Section title="Bound model and prediction">
            {t.model ? <Json value={t.model} /> : <p class="muted">No behaviour model bound (the twin_bindModel call binds one).</p>}
          </Section>
          <Section title="Attributes">
            <Json value={t.attributes} />
          </Section>
        </div>
      )}
      <Section
        title="History"
        aside={
          from > 1 ? (
            <span class="muted">
              the newest {HISTORY} of {t?.revision} revisions
            </span>
          ) : undefined
        }
      >
        <Problem error={history.error} />
        <ol class="timeline" data-testid="twin-history">
          {[...changes]
            .sort((a, b) => b.revision - a.revision)
            .map(c => (
              <li key={c.revision}>
                <div class="when">
                  <strong>revision {c.revision}</strong> · {c.kind} ·{' '}
                  <a href={`#/block/${c.shard}/${c.height}`}>{`block ${c.shard}@${c.height}`}</a> ·{' '}
                  <a href={`#/tx/${c.txId}`}>transaction</a> · {new Date(c.time).toISOString()}
                </div>
                <ul class="diff">
                  {(diffs.get(c.revision) ?? []).map(d => (
                    <li>
                      <code>{d.path}</code>:{' '}
                      {d.before === undefined ? <em>absent</em> : <code class="before">{JSON.stringify(d.before)}</code>} →{' '}
                      {d.after === undefined ? <em>removed</em> : <code class="after">{JSON.stringify(d.after)}</code>}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
        </ol>
      </Section>
    </>
  )
}
