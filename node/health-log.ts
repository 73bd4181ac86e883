/**
 * The debug `node health` line, every 2 s: event-loop delay, garbage-collection time and longest
 * pause in the window (a long one stalls consensus like any other task), and the members' gossip
 * scores (a member below 0 leaves the mesh). Returns the function that stops it.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import type { Logger } from './logger.js'

export function startHealthLog(logger: Logger, scores: () => Record<string, number>, everyMs = 2000): () => void {
  const lag = monitorEventLoopDelay({ resolution: 10 })
  lag.enable()
  let gcMs = 0
  let gcMaxMs = 0
  const gc = new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      gcMs += e.duration
      gcMaxMs = Math.max(gcMaxMs, e.duration)
    }
  })
  gc.observe({ entryTypes: ['gc'] })
  const timer = setInterval(() => {
    logger.debug(
      {
        loopDelayMaxMs: Math.round(lag.max / 1e6),
        loopDelayP99Ms: Math.round(lag.percentile(99) / 1e6),
        gcMs: Math.round(gcMs),
        gcMaxMs: Math.round(gcMaxMs),
        scores: scores(),
      },
      'node health',
    )
    lag.reset()
    gcMs = gcMaxMs = 0
  }, everyMs)
  timer.unref()
  return () => {
    clearInterval(timer)
    lag.disable()
    gc.disconnect()
  }
}
