/**
 * Hostile callers against a real 4-process devnet: the API split (no token, text/plain, a
 * foreign Host), the device call that once halted a shard (a number past float32 on a model-bound
 * twin), a gapped-nonce flood, and a bind to a model blob no node holds. After each, the heights
 * must keep advancing and honest calls must commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'node:http'
import { generateKeypair, signTx, signedTxCodec, toHex } from '../../ledger/index.js'
import { twinSyncCodec } from '../../twin/contract.js'
import { defaultMempoolOptions } from '../../consensus/mempool.js'
import { DitenClient, type RpcError } from '../../node/rpc/client.js'
import { TwinDevice, twins } from '../../node/rpc/twins.js'
import { startDevnet, type Devnet } from './proc.js'
import { adminClient, heads } from './chain-helpers.js'
import { waitFor } from '../helpers.js'

let net: Devnet
let pub: DitenClient
let admin: DitenClient
beforeAll(async () => {
  net = await startDevnet(['--nodes', '4', '--shards', '1', '--block-interval', '300'])
  pub = new DitenClient(net.file.nodes[0]!.api, { timeoutMs: 40_000 })
  admin = await adminClient(net.file.nodes[0]!)
}, 120_000)
afterAll(async () => {
  await net?.stop()
})

/** A raw HTTP POST with the headers we choose (fetch would set Host and Content-Type itself). */
function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, res => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Heights advance by at least `n` on every node. */
async function advances(n: number): Promise<void> {
  const start = await Promise.all(net.file.nodes.map(x => heads(x.api)))
  await waitFor(
    async () => (await Promise.all(net.file.nodes.map(x => heads(x.api)))).every((h, i) => h[0]! >= start[i]![0]! + n),
    `every node ${n} heights on`,
    30_000,
  )
}

const register = (body: object) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'twin_register',
    params: { twinId: 'evil:squat', definition: { id: 'dtmi:evil:x;1' }, owner: toHex(generateKeypair().publicKey), ...body },
  })

describe('two APIs: nothing the member signs is reachable without the admin token', () => {
  it('the public API refuses member-signed calls; the admin API needs the token', async () => {
    const n = net.file.nodes[0]!
    const onPublic = await post(n.api, register({}), { 'content-type': 'application/json' })
    expect(onPublic.body.error.data.code).toBe('UNAUTHORIZED')
    for (const [method, params] of [
      ['tangle_attach', { round: 1, trainer: 't', modelHash: 'ab'.repeat(32), dataSize: 1, claimedAccuracyBp: 1 }],
      ['twin_retire', { twinId: 'a:b' }],
      ['twin_setDesired', { twinId: 'a:b', patch: {} }],
      ['twin_bindModel', { twinId: 'a:b', round: 0, inputs: ['x'] }],
      ['chaos_status', undefined],
    ] as const) {
      const r = await pub.call(method, params as Record<string, unknown> | undefined).catch((e: RpcError) => e)
      expect((r as RpcError).reason, method).toBe('UNAUTHORIZED')
    }
    const noToken = await post(n.admin, register({}), { 'content-type': 'application/json' })
    expect(noToken.status).toBe(401)
    expect(noToken.body.error.data.code).toBe('UNAUTHORIZED')
    const wrong = await post(n.admin, register({}), { 'content-type': 'application/json', authorization: `Bearer ${'0'.repeat(64)}` })
    expect(wrong.status).toBe(401)
    expect((await twins(pub).list({ namespace: 'evil' })).twins).toEqual([])
  })

  it('a text/plain POST (a browser simple request) is refused before any method runs', async () => {
    const n = net.file.nodes[0]!
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await post(n.api, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'node_status' }), { 'content-type': type })
      expect(r.status).toBe(415)
      expect(r.body.error.data.code).toBe('BAD_CONTENT_TYPE')
    }
  })

  it('a foreign Host header (DNS rebinding) is refused on both APIs', async () => {
    const n = net.file.nodes[0]!
    for (const url of [n.api, n.admin]) {
      const r = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'node_status' }), {
        'content-type': 'application/json',
        host: 'attacker.example:80',
      })
      expect(r.status).toBe(403)
      expect(r.body.error.data.code).toBe('BAD_HOST')
    }
    const ok = await post(n.api, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'node_status' }), {
      'content-type': 'application/json',
      host: `localhost:${new URL(n.api).port}`,
    })
    expect(ok.status).toBe(200)
  })
})

describe('no device call stops the shard', () => {
  it('a number past float32 on a model-bound twin commits with a finite prediction, and blocks keep coming', async () => {
    const device = TwinDevice.generate(pub, 'evil:meter-1')
    const definition = { id: 'dtmi:evil:meter;1', features: { s: { properties: { v: { type: 'number' } }, additionalProperties: true } } }
    await twins(admin).register({ twinId: device.twinId, definition, owner: device.publicKey, wait: true })
    const inputs = Array.from({ length: 784 }, (_, i) => (i % 2 ? 's.properties.v' : `s.properties.p${i}`))
    await twins(admin).bindModel({ twinId: device.twinId, round: 0, inputs, wait: true })
    const r = await device.sync({ s: { properties: { v: 1e39 } } }, { wait: true })
    expect(r.status).toBe('committed')
    const t = await twins(pub).get(device.twinId)
    expect(t.model!.scores.length).toBeGreaterThan(0)
    expect(t.model!.scores.every(s => Number.isInteger(s))).toBe(true)
    await advances(3)
    // and the same call again, from the other side of the range
    expect((await device.sync({ s: { properties: { v: -1.7976931348623157e308 } } }, { wait: true })).status).toBe('committed')
    await advances(3)
  }, 90_000)

  it('gapped sequence numbers are refused (TX_NONCE_TOO_FAR) and honest calls still commit', async () => {
    const attacker = TwinDevice.generate(pub, 'evil:gaps')
    const honest = TwinDevice.generate(pub, 'plant:honest')
    const definition = { id: 'dtmi:evil:g;1', features: { s: { properties: {}, additionalProperties: true } } }
    await Promise.all([attacker, honest].map(d => twins(admin).register({ twinId: d.twinId, definition, owner: d.publicKey, wait: true })))
    const chainId = net.file.chainId
    const gapped = (nonce: number) =>
      toHex(
        signedTxCodec.encode(
          signTx(
            {
              chainId,
              kind: 'twin.sync',
              sender: attacker.keypair.publicKey,
              nonce,
              payload: twinSyncCodec.encode({ twinId: attacker.twinId, patch: `{"s":{"properties":{"n":${nonce}}}}` }),
            },
            attacker.keypair.secretKey,
          ),
        ),
      )
    let parked = 0
    const refusals = new Map<string, number>()
    // 1,000,000 first, then a flood of 600 nonces skipping 0 (in batches of 100)
    const flood = [1_000_000, ...Array.from({ length: 600 }, (_, i) => i + 1)]
    for (let i = 0; i < flood.length; i += 100) {
      const batch = flood
        .slice(i, i + 100)
        .map((nonce, k) => ({ jsonrpc: '2.0', id: k, method: 'twin_sync', params: { tx: gapped(nonce) } }))
      const answers = (await (
        await fetch(net.file.nodes[0]!.api, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        })
      ).json()) as { result?: unknown; error?: { data?: { code?: string } } }[]
      for (const a of answers) {
        if (a.result) parked++
        else refusals.set(a.error?.data?.code ?? 'other', (refusals.get(a.error?.data?.code ?? 'other') ?? 0) + 1)
      }
    }
    expect(refusals.get('TX_NONCE_TOO_FAR')).toBe(601 - defaultMempoolOptions.maxNonceAhead)
    expect(parked).toBe(defaultMempoolOptions.maxNonceAhead)
    for (let k = 1; k <= 5; k++) expect((await honest.sync({ s: { properties: { k } } }, { wait: true })).status).toBe('committed')
    await advances(2)
  }, 90_000)

  it("a bind to a model blob no node holds is refused at once and does not hold up the member's next call", async () => {
    const device = TwinDevice.generate(pub, 'evil:unbound')
    const definition = { id: 'dtmi:evil:u;1', features: { s: { properties: {}, additionalProperties: true } } }
    await twins(admin).register({ twinId: device.twinId, definition, owner: device.publicKey, wait: true })
    const r = await twins(admin)
      .bindModel({ twinId: device.twinId, round: 0, inputs: ['s.properties.x'], modelHash: 'ee'.repeat(32), wait: true })
      .catch((e: RpcError) => e)
    expect((r as RpcError).reason).toBe('FL_BLOB_UNAVAILABLE')
    const next = TwinDevice.generate(pub, 'evil:after-bind')
    expect((await twins(admin).register({ twinId: next.twinId, definition, owner: next.publicKey, wait: true })).status).toBe('committed')
  }, 60_000)
})
