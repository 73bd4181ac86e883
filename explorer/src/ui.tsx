/** Small pieces shared by the pages: ids, times, state marks, tables, errors. */
import type { ComponentChildren } from 'preact'

export const short = (id: string | null | undefined, n = 10) => (id ? `${id.slice(0, n)}…` : '—')

/** A hash shown short, whole on hover and when selected (copyable). */
export function Hash({ id, href, n = 10 }: { id: string | null | undefined; href?: string; n?: number }) {
  if (!id) return <span class="muted">—</span>
  const text = <code title={id}>{short(id, n)}</code>
  return href ? <a href={href}>{text}</a> : text
}

export function ago(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined || ms <= 0) return '—'
  const s = Math.max(0, (now - ms) / 1000)
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  return `${Math.floor(s / 3600)} h ago`
}

export const pct = (bp: number) => `${(bp / 100).toFixed(bp % 100 === 0 ? 0 : 1)} %`

/**
 * A state shown by a word and a shape, never by colour alone:
 * ● good, ○ waiting, ▲ warning, ✕ bad, ◆ neutral.
 */
export type Tone = 'ok' | 'wait' | 'warn' | 'bad' | 'info'
const SHAPE: Record<Tone, string> = { ok: '●', wait: '○', warn: '▲', bad: '✕', info: '◆' }
export function Mark({ tone, children }: { tone: Tone; children: ComponentChildren }) {
  return (
    <span class={`mark mark-${tone}`}>
      <span aria-hidden="true">{SHAPE[tone]}</span> {children}
    </span>
  )
}

export function Section({ title, children, aside }: { title: string; children: ComponentChildren; aside?: ComponentChildren }) {
  return (
    <section>
      <header class="section-head">
        <h2>{title}</h2>
        {aside && <div class="aside">{aside}</div>}
      </header>
      {children}
    </section>
  )
}

export function Problem({ error }: { error: string | undefined }) {
  return error ? (
    <p class="problem" role="alert">
      <Mark tone="bad">{error}</Mark>
    </p>
  ) : null
}

export function Loading({ what }: { what: string }) {
  return <p class="muted">Loading {what}…</p>
}

/** A table that scrolls sideways on a narrow screen instead of squeezing its columns. */
export function Table({ head, rows, empty }: { head: ComponentChildren[]; rows: ComponentChildren[][]; empty?: string }) {
  if (!rows.length) return <p class="muted">{empty ?? 'Nothing yet.'}</p>
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** A value as readable JSON (twin documents, changes, payloads). */
export function Json({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>
}
