/**
 * Twins: search by namespace or id; a twin's live state, desired values, bound model and
 * prediction; its revision history as a timeline with what each change did. Updated live from
 * the node's event stream (GET /events) as syncs commit.
 */
import { useEffect, useState } from 'preact/hooks'
import { call, events } from '../rpc'
import { usePoll } from '../poll'
import { historyDiffs } from '../diff'
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

/** The newest events of a stream (newest first), and a counter that moves on each one. */
function useEvents(query: Record<string, string>, keep = 20): { list: LiveEvent[]; tick: number; open: boolean } {
  const [state, setState] = useState<{ list: LiveEvent[]; tick: number; open: boolean }>({ list: [], tick: 0, open: false })
  const key = JSON.stringify(query)
  useEffect(() => {
    const es = events(query)
    es.onopen = () => setState(s => ({ ...s, open: true }))
    es.onerror = () => setState(s => ({ ...s, open: false }))
    const on = (m: MessageEvent<string>) => {
      const e = JSON.parse(m.data) as LiveEvent
      setState(s => ({ list: [e, ...s.list].slice(0, keep), tick: s.tick + 1, open: true }))
    }
    es.addEventListener('twin', on as EventListener)
    return () => es.close()
  }, [key])
  return state
}

export function TwinsPage() {
  const [ns, setNs] = useState('')
  const [shownNs, setShownNs] = useState('')
  const [id, setId] = useState('')
  const live = useEvents(shownNs ? { namespace: shownNs } : {})
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

export function TwinPage({ id }: { id: string }) {
  const { nameAt } = useNetwork()
  const live = useEvents({ twin: id })
  const twin = usePoll(() => call<TwinView>('twin_get', { twinId: id }), 30_000, [id, live.tick])
  const history = usePoll(() => call<{ changes: TwinChange[] }>('twin_history', { twinId: id }), 30_000, [id, live.tick])
  const t = twin.data
  const changes = history.data?.changes ?? []
  const diffs = new Map(historyDiffs(changes).map(d => [d.revision, d.diffs]))
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
      <Section title="History">
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
