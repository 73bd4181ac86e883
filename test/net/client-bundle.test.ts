/**
 * `diten/client` as a browser bundle: Vite builds node/client.ts for the browser (no Node
 * polyfills), and the bundle runs in a bare JavaScript context that has only what a browser has
 * (fetch, TextEncoder, URL, AbortController, timers, crypto.getRandomValues; no process, Buffer or
 * require). There it makes a device key, has a live node register the twin, signs and sends a sync
 * that commits, and reads the twin back.
 */
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { build } from 'vite'
import { adminClientOf, testNet, type TestNet } from '../helpers.js'
import { twins } from '../../node/rpc/twins.js'

let net: TestNet
let api = ''
let admin: Awaited<ReturnType<typeof adminClientOf>>
beforeAll(async () => {
  net = await testNet(1, {
    params: p => {
      p.consensus.blockIntervalMs = 100
    },
  })
  const node = await net.start(0)
  api = node.apiUrl
  admin = await adminClientOf(node)
})
afterAll(async () => {
  await net?.close()
})

async function browserBundle(): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      lib: { entry: 'node/client.ts', formats: ['iife'], name: 'Diten', fileName: 'diten-client' },
    },
  })
  const results = (Array.isArray(out) ? out : [out]) as { output: { type: string; code?: string; fileName: string }[] }[]
  const chunk = results[0]!.output.find(o => o.type === 'chunk')!
  return chunk.code!
}

describe('diten/client in a browser bundle', () => {
  it('builds for the browser and runs without Node: keys, a signed sync that commits, reads', async () => {
    const code = await browserBundle()
    expect(code).not.toMatch(/\brequire\(|from ['"]node:|import\(['"]node:/)
    const logs: string[] = []
    const sandbox: Record<string, unknown> = {
      fetch,
      Headers,
      Request,
      Response,
      TextEncoder,
      TextDecoder,
      URL,
      URLSearchParams,
      AbortController,
      AbortSignal,
      setTimeout,
      clearTimeout,
      crypto: { getRandomValues: (a: Uint8Array) => globalThis.crypto.getRandomValues(a) },
      console: { log: (...a: unknown[]) => logs.push(a.join(' ')), warn: () => undefined, error: () => undefined },
    }
    sandbox.globalThis = sandbox
    sandbox.self = sandbox
    runInNewContext(code, sandbox)
    expect(sandbox.process).toBeUndefined()
    expect(sandbox.Buffer).toBeUndefined()
    const D = sandbox.Diten as any
    expect(typeof D.TwinDevice).toBe('function')
    const client = new D.DitenClient(api, { timeoutMs: 20_000 })
    const status = await client.status()
    expect(status.name).toBe('node-0')
    // a device key made in the bundle (noble + crypto.getRandomValues), registered by the member
    const device = D.TwinDevice.generate(client, 'web:panel-1')
    await twins(admin).register({
      twinId: 'web:panel-1',
      definition: { id: 'dtmi:web:panel;1', features: { state: { properties: {}, additionalProperties: true } } },
      owner: device.publicKey,
      wait: true,
    })
    // signed and hashed in the bundle (portable sha256 and hex), checked and committed by the node
    const r = await device.sync({ state: { properties: { brightness: 70 } } }, { wait: true })
    expect(r).toMatchObject({ status: 'committed', revision: 2 })
    const view = await D.twins(client).get('web:panel-1')
    expect(view.features).toEqual({ state: { properties: { brightness: 70 } } })
    // ids and signatures made in the bundle equal the node's
    const kp = D.keypairFromSecret(D.fromHex('01'.repeat(32)))
    expect(D.toHex(kp.publicKey)).toBe('8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c')
    // the documented test vector's id (docs/api.md), hashed by the bundle's portable sha256
    const body = D.txBodyCodec.decode(
      D.fromHex(
        '95ad646974656e2d6578616d706c65a97477696e2e73796e63c4208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c00c43593ab61636d653a70756d702d31d9257b227374617465223a7b2270726f70657274696573223a7b2272706d223a313230307d7d7dc0',
      ),
    )
    expect(D.toHex(D.txId(body))).toBe('b70101ae6a77b57b2932193e462e026f37857752a10139c7162e43278063c84a')
    expect(D.toHex(D.signTx(body, kp.secretKey).sig)).toMatch(/^cccd93f9b2968d79/)
  }, 60_000)
})
