import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DitenClient, RpcError } from '../../node/rpc/client.js'
import { testNet, type TestNet } from '../helpers.js'

let net: TestNet
let url: string
let metricsUrl: string

beforeAll(async () => {
  net = await testNet(1)
  const node = await net.start(0)
  url = node.apiUrl
  metricsUrl = node.metricsUrl!
})
afterAll(async () => {
  await net?.close()
})

async function post(body: string | Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
  return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as any) }
}

describe('JSON-RPC over HTTP', () => {
  it('node_status reports identity, uptime, data dir and version', async () => {
    const s = await new DitenClient(url).status()
    expect(s.name).toBe('node-0')
    expect(s.peerId).toMatch(/^12D3KooW/)
    expect(s.dataDir).toContain('node-0')
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(s.uptimeMs).toBeGreaterThanOrEqual(0)
    expect(s.memberPeers).toMatchObject({ connected: 0, total: 0 })
    expect(s.starts).toBe(1)
  })

  it('-32700 parse error', async () => {
    const r = await post('{"jsonrpc":"2.0",')
    expect(r.body.error.code).toBe(-32700)
  })

  it('-32600 invalid request, including an oversized body', async () => {
    expect((await post('{"jsonrpc":"2.0","id":1}')).body.error.code).toBe(-32600)
    const big = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'node_status', params: { pad: 'x'.repeat(1 << 21) } }))
    expect(big.status).toBe(413)
    expect(big.body.error.code).toBe(-32600)
    expect(big.body.error.message).toContain('exceeds')
    const get = await fetch(`${url}/rpc`)
    expect(get.status).toBe(405)
  })

  it('-32601 unknown method, through the client', async () => {
    const e = await new DitenClient(url).call('node_statuz').catch((x: unknown) => x)
    expect(e).toBeInstanceOf(RpcError)
    expect((e as RpcError).code).toBe(-32601)
    expect((e as RpcError).message).toContain('node_status')
  })

  it('-32602 invalid params', async () => {
    const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'node_status', params: { verbose: true } }))
    expect(r.body).toMatchObject({ id: 3, error: { code: -32602 } })
    expect(r.body.error.message).toContain('node_status takes no params')
  })

  it('serves Prometheus metrics on their own address, and health', async () => {
    const text = await (await fetch(metricsUrl)).text()
    expect(text).toContain('diten_rpc_requests_total')
    expect(text).toContain('method="node_status"')
    expect(text).toContain('process_cpu_user_seconds_total')
    expect((await fetch(new URL('/health', url))).status).toBe(200)
    expect((await fetch(new URL('/nope', url))).status).toBe(404)
    // the API itself tells a scraper where the metrics are
    const onApi = await fetch(new URL('/metrics', url))
    expect(onApi.status).toBe(404)
    expect(((await onApi.json()) as { error: string }).error).toContain(metricsUrl)
    expect((await fetch(new URL('/rpc', metricsUrl))).status).toBe(404)
  })

  it('rpc.discover: an OpenRPC document of every method, params as JSON Schema from the checking schemas', async () => {
    const doc = await new DitenClient(url).call<any>('rpc.discover')
    expect(doc.openrpc).toBe('1.3.2')
    const names = doc.methods.map((m: { name: string }) => m.name)
    expect(names).toEqual([...names].sort())
    for (const n of ['node_status', 'twin_sync', 'twin_get', 'tx_submit', 'chain_getBlock', 'fl_status', 'rpc.discover'])
      expect(names).toContain(n)
    const sync = doc.methods.find((m: { name: string }) => m.name === 'twin_sync')
    expect(sync['x-admin']).toBe(false)
    expect(sync.params.find((p: { name: string }) => p.name === 'tx')).toMatchObject({ required: true, schema: { type: 'string' } })
    expect(sync.params.find((p: { name: string }) => p.name === 'wait')).toMatchObject({ required: false, schema: { type: 'boolean' } })
    expect(doc.methods.find((m: { name: string }) => m.name === 'stake_vote')['x-admin']).toBe(true)
    // every method the node answers is described, and each description is real text
    expect(doc.methods.every((m: { description: string }) => m.description.length > 10)).toBe(true)
  })

  it('reports an unreachable node clearly', async () => {
    await expect(new DitenClient('http://127.0.0.1:1').status()).rejects.toThrow(/cannot reach diten node at http:\/\/127.0.0.1:1/)
  })
})

describe('fl_* methods', () => {
  it('serve M(0), the state, and refuse what does not exist with a reason', async () => {
    const c = new DitenClient(url)
    const st = await c.call<{ enabled: boolean; round: number; model: string; closed: unknown[] }>('fl_status')
    expect(st).toMatchObject({ enabled: false, round: 1, closed: [] })
    const m0 = await c.call<{ hash: string; blob: string; bytes: number }>('fl_getModel', { round: 0 })
    expect(m0.hash).toBe(st.model)
    const { weightsHash, decodeWeights } = await import('../../fl/weights.js')
    const blob = new Uint8Array(Buffer.from(m0.blob, 'base64'))
    expect(weightsHash(blob)).toBe(m0.hash)
    expect(decodeWeights(blob).shapes).toEqual([[784, 128], [128], [128, 10], [10]])
    const refused = async (method: string, params: Record<string, unknown>) =>
      c.call(method, params).then(
        () => undefined,
        (e: RpcError) => e,
      )
    expect((await refused('fl_getModel', { round: 3 }))?.reason).toBe('NOT_FOUND')
    expect((await refused('fl_getUpdate', { id: 'ab'.repeat(32) }))?.reason).toBe('NOT_FOUND')
    expect((await refused('fl_getUpdate', { id: 'xyz' }))?.code).toBe(-32602)
  })
})
