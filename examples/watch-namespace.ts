/**
 * An application that follows every committed change of a namespace's twins as it happens. The
 * stream reconnects and resumes by itself (Last-Event-ID) when a node restarts or the network
 * drops; onGap says when some changes could not be replayed (then read the twins again).
 *
 *   DITEN_API=http://127.0.0.1:26601 NAMESPACE=site COUNT=5 node dist/examples/watch-namespace.js
 */
import { DitenClient, twins } from 'diten/client'

const api = process.env.DITEN_API ?? 'http://127.0.0.1:26601'
const namespace = process.env.NAMESPACE ?? 'site'
/** stop after this many changes (0: run until Ctrl-C) */
const count = Number(process.env.COUNT ?? 0)

const stop = new AbortController()
process.on('SIGINT', () => stop.abort())
let seen = 0
console.log(`watching ${namespace} on ${api}`)
await twins(new DitenClient(api)).watch(
  { namespace },
  e => {
    console.log(`${e.twinId} revision ${e.revision} (${e.kind}, block ${e.height}): ${JSON.stringify(e.change)}`)
    if (count && ++seen >= count) stop.abort()
  },
  stop.signal,
  {
    onGap: g => console.warn(`some changes on shards ${g.shards.join(', ')} were missed: ${g.reason}`),
    onReconnect: (n, err) => console.warn(`stream dropped (${(err as Error)?.message ?? err}); reconnecting, attempt ${n}`),
  },
)
