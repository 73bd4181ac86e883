/** Twin calls through JSON-RPC and the SDK on a one-member network: commits, reads, history, events, refusals. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DitenClient, RpcError } from '../../node/rpc/client.js'
import { TwinDevice, twins, type TwinEventMessage } from '../../node/rpc/twins.js'
import { adminClientOf, testNet, waitFor, type TestNet } from '../helpers.js'
import { signTx, signedTxCodec, toHex, txId } from '../../ledger/index.js'
import { twinSyncCodec } from '../../twin/contract.js'
import { canonicalJson } from '../../twin/json.js'

const definition = {
  id: 'dtmi:acme:pump;1',
  attributes: { site: { type: 'string' } },
  features: { state: { properties: { rpm: { type: 'integer', minimum: 0 }, setpoint: { type: 'number', writable: true } } } },
}

let net: TestNet
let node: DitenClient
beforeAll(async () => {
  net = await testNet(1, {
    params: p => {
      p.consensus.blockIntervalMs = 100
    },
  })
  // the member's calls (register, setDesired) go to the admin API, which serves the public methods too
  node = await adminClientOf(await net.start(0))
})
afterAll(async () => {
  await net?.close()
})

const reason = async (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: RpcError) => e.reason ?? e.message,
  )

describe('twin API', () => {
  it('registers, syncs with the SDK, reads at revisions, keeps history and streams each change once in order', async () => {
    const t = twins(node)
    const pump = TwinDevice.generate(node, 'acme:pump-1')
    const seen: TwinEventMessage[] = []
    const stop = new AbortController()
    const watching = t.watch({ twin: 'acme:pump-1' }, e => seen.push(e), stop.signal)
    const reg = await t.register({ twinId: 'acme:pump-1', definition, owner: pump.publicKey, attributes: { site: 'north' }, wait: true })
    expect(reg).toMatchObject({ status: 'committed', revision: 1 })
    for (let rpm = 100; rpm <= 500; rpm += 100) await pump.sync({ state: { properties: { rpm } } }) // pipelined, no wait
    const last = await pump.sync({ state: { properties: { rpm: 600 } } }, { wait: true })
    expect(last).toMatchObject({ status: 'committed', revision: 7 })
    const now = await t.get('acme:pump-1')
    expect(now).toMatchObject({
      revision: 7,
      definition: 'dtmi:acme:pump;1',
      owner: pump.publicKey,
      attributes: { site: 'north' },
      features: { state: { properties: { rpm: 600 } } },
    })
    expect((await t.get('acme:pump-1', 3)).features).toEqual({ state: { properties: { rpm: 200 } } })
    const h = await t.history('acme:pump-1', 2, 4)
    expect(h.changes.map(c => [c.revision, c.kind, c.change])).toEqual(
      [2, 3, 4].map(r => [r, 'sync', { state: { properties: { rpm: 100 * (r - 1) } } }]),
    )
    expect(
      (await t.setDesired({ twinId: 'acme:pump-1', patch: { state: { desiredProperties: { setpoint: 7.5 } } }, wait: true })).revision,
    ).toBe(8)
    await waitFor(() => seen.length >= 8, 'eight events')
    stop.abort()
    await watching
    expect(seen.map(e => e.revision)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(seen[7]!.twin.features).toEqual({ state: { properties: { rpm: 600 }, desiredProperties: { setpoint: 7.5 } } })
    expect((await t.list({ namespace: 'acme' })).twins.map(x => x.twinId)).toEqual(['acme:pump-1'])
    // pages in id order, the cursor being the last id of a page
    for (const id of ['page:c', 'page:a', 'page:b'])
      await t.register({ twinId: id, definition, owner: TwinDevice.generate(node, id).publicKey, wait: true })
    const p1 = await t.list({ namespace: 'page', limit: 2 })
    expect([p1.twins.map(x => x.twinId), p1.cursor]).toEqual([['page:a', 'page:b'], 'page:b'])
    const p2 = await t.list({ namespace: 'page', limit: 2, cursor: p1.cursor! })
    expect([p2.twins.map(x => x.twinId), p2.cursor]).toEqual([['page:c'], null])
    const records = await node.call<{
      device: { publicKey: string; host: string; registrationTx: string }
      data: { revision: number }
      model: unknown
      training: unknown[]
    }>('twin_records', { twinId: 'acme:pump-1' })
    expect(records).toMatchObject({
      device: { publicKey: pump.publicKey, host: 'node-0', registrationTx: reg.id },
      data: { revision: 8 },
      model: null,
      training: [],
    })
  })

  it('a device is safe under concurrent calls: unawaited syncs never share a sequence number', async () => {
    const t = twins(node)
    const valve = TwinDevice.generate(node, 'acme:gate-3')
    await t.register({ twinId: 'acme:gate-3', definition, owner: valve.publicKey, wait: true })
    // five calls fired at once, the last three waiting for their commits
    const calls = [1, 2, 3, 4, 5].map(k => valve.sync({ state: { properties: { rpm: k } } }, { wait: k >= 3 }))
    const results = await Promise.all(calls)
    expect(results.map(r => r.status)).toEqual(['pending', 'pending', 'committed', 'committed', 'committed'])
    expect(results.slice(2).map(r => r.revision)).toEqual([4, 5, 6])
    expect(await t.get('acme:gate-3')).toMatchObject({ revision: 6, features: { state: { properties: { rpm: 5 } } } })
  })

  it('refuses bad calls with their reason code and changes nothing', async () => {
    const t = twins(node)
    const dev = TwinDevice.generate(node, 'acme:valve-9')
    await t.register({ twinId: 'acme:valve-9', definition, owner: dev.publicKey, wait: true })
    expect(await reason(t.register({ twinId: 'acme:valve-9', definition, owner: dev.publicKey, wait: true }))).toBe('TWIN_EXISTS')
    expect(await reason(TwinDevice.generate(node, 'acme:nope').sync({ state: { properties: { rpm: 1 } } }))).toBe('TWIN_UNKNOWN')
    const thief = new TwinDevice(node, 'acme:valve-9', TwinDevice.generate(node, 'x:y').keypair)
    expect(await reason(thief.sync({ state: { properties: { rpm: 1 } } }))).toBe('TWIN_NOT_OWNER')
    expect(await reason(dev.sync({ state: { properties: { rpm: 'fast' } } }))).toBe('TWIN_BAD_PATCH')
    expect(await reason(dev.sync({ state: { properties: { rpm: 1 } } }, { ifRevision: 99 }))).toBe('TWIN_REVISION_MISMATCH')
    expect(await reason(t.setDesired({ twinId: 'acme:valve-9', patch: { state: { desiredProperties: { rpm: 5 } } } }))).toBe(
      'TWIN_BAD_PATCH',
    )
    expect((await dev.sync({ state: { properties: { rpm: 1 } } }, { wait: true })).revision).toBe(2)
    // a replayed call: the committed sync's signed bytes again (refused calls did not use nonce 0; ed25519 is deterministic)
    const chainId = (await node.status()).chainId
    const again = signTx(
      {
        chainId,
        kind: 'twin.sync',
        sender: dev.keypair.publicKey,
        nonce: 0,
        payload: twinSyncCodec.encode({ twinId: 'acme:valve-9', patch: canonicalJson({ state: { properties: { rpm: 1 } } }) }),
      },
      dev.keypair.secretKey,
    )
    const committed = await node.call<{ changes: { txId: string }[] }>('twin_history', { twinId: 'acme:valve-9', fromRevision: 2 })
    expect(committed.changes.map(c => c.txId)).toEqual([toHex(txId(again.body))])
    expect(await reason(node.call('twin_sync', { tx: toHex(signedTxCodec.encode(again)) }))).toBe('TWIN_STALE_SEQUENCE')
    expect((await node.call<{ changes: unknown[] }>('twin_history', { twinId: 'acme:valve-9', fromRevision: 2 })).changes).toHaveLength(1)
    expect(await reason(node.call('twin_sync', { tx: 'zz' }))).toBe('SCHEMA_FORMAT') // malformed input
    await dev.retire({ wait: true })
    expect(await reason(dev.sync({ state: { properties: { rpm: 2 } } }))).toBe('TWIN_RETIRED')
    expect((await t.get('acme:valve-9')).revision).toBe(3)
  })
})
