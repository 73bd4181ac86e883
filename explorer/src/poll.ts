/**
 * Polling hooks: a read repeated every `ms` while the page is visible (a hidden tab asks nothing),
 * one request in flight at a time, the last good answer kept when a read fails.
 */
import { useEffect, useRef, useState } from 'preact/hooks'

export interface Polled<T> {
  data: T | undefined
  error: string | undefined
  /** when the last good answer arrived (ms, performance.now()) */
  at: number
  refresh(): void
}

export function usePoll<T>(read: () => Promise<T>, ms: number, deps: unknown[] = []): Polled<T> {
  const [state, setState] = useState<{ data: T | undefined; error: string | undefined; at: number }>({
    data: undefined,
    error: undefined,
    at: 0,
  })
  const kick = useRef<() => void>(() => undefined)
  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let busy = false
    const run = async () => {
      if (stopped || busy) return
      clearTimeout(timer)
      if (document.hidden) {
        timer = setTimeout(run, ms)
        return
      }
      busy = true
      try {
        const data = await read()
        if (!stopped) setState({ data, error: undefined, at: performance.now() })
      } catch (e) {
        if (!stopped) setState(s => ({ ...s, error: (e as Error).message }))
      } finally {
        busy = false
        if (!stopped) timer = setTimeout(run, ms)
      }
    }
    kick.current = () => void run()
    const onVisible = () => !document.hidden && void run()
    document.addEventListener('visibilitychange', onVisible)
    setState({ data: undefined, error: undefined, at: 0 })
    void run()
    return () => {
      stopped = true
      clearTimeout(timer)
      document.removeEventListener('visibilitychange', onVisible)
    }
  }, [ms, ...deps])
  return { ...state, refresh: () => kick.current() }
}

/** The current location hash as path segments: '#/chain/0/12' → ['chain', '0', '12']. */
export function useRoute(): string[] {
  const parse = () =>
    location.hash
      .replace(/^#\/?/, '')
      .split('/')
      .filter(Boolean)
      .map(s => decodeURIComponent(s))
  const [route, setRoute] = useState(parse)
  useEffect(() => {
    const on = () => setRoute(parse())
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return route
}
