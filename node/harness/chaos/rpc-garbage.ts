/**
 * Fault kind `rpc-garbage`: malformed JSON-RPC sent to the nodes' APIs. Every answer must be a
 * JSON-RPC error (or an HTTP 4xx with a reason); a 5xx, a non-JSON answer or a dropped
 * connection on a node that is up counts as unexpected.
 */
import { randomBytes } from 'node:crypto'
import { sleep } from './cluster.js'

export interface RpcGarbageReport {
  sent: number
  refusedCleanly: number
  unexpected: number
  examples: string[]
}

const bodies: (() => string | Uint8Array)[] = [
  () => randomBytes(64 + Math.floor(Math.random() * 1024)),
  () => '{"jsonrpc":"2.0","id":1,"method":"twin_sync","params":{"tx":"zz"}}',
  () => `{"jsonrpc":"2.0","id":1,"method":"tx_submit","params":{"tx":"${randomBytes(300).toString('hex')}"}}`,
  () => `{"jsonrpc":"2.0","id":1,"method":"twin_get","params":{"twinId":${'['.repeat(5000)}}}`,
  () => `[${Array.from({ length: 1000 }, (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"node_status"}`).join(',')}]`,
  () => '{"jsonrpc":"2.0","id":1,"method":"chain_getBlock","params":{"shard":-1,"height":1e300}}',
  () => '{"jsonrpc":"2.0","id":{"x":1},"method":7}',
  () => 'x'.repeat(3 * 1024 * 1024),
]

export async function runRpcGarbage(apis: () => string[], forMs: number): Promise<RpcGarbageReport> {
  const r: RpcGarbageReport = { sent: 0, refusedCleanly: 0, unexpected: 0, examples: [] }
  const until = Date.now() + forMs
  let k = 0
  while (Date.now() < until) {
    const targets = apis()
    for (const api of targets) {
      const body = bodies[k++ % bodies.length]!()
      r.sent++
      try {
        const res = await fetch(api, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(5000),
        })
        const text = await res.text()
        let json: { error?: unknown } | { error?: unknown }[] | undefined
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        const isError = Array.isArray(json) ? json.length > 0 : json?.error !== undefined
        if (res.status < 500 && (isError || (res.status >= 400 && text.length > 0))) r.refusedCleanly++
        else throw new Error(`HTTP ${res.status}: ${text.slice(0, 80)}`)
      } catch (e) {
        r.unexpected++
        if (r.examples.length < 5) r.examples.push(`${api}: ${(e as Error).message}`)
      }
    }
    await sleep(200)
  }
  return r
}
