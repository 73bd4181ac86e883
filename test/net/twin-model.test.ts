/**
 * FL meets twins on a one-member network: a round of federated learning closes, its global model
 * M(1) is bound to a twin, every later sync stores the model's prediction, and the twin's records
 * list its host's training-model record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DitenClient } from '../../node/rpc/client.js'
import { TwinDevice, twins } from '../../node/rpc/twins.js'
import { adminClientOf, testNet, waitFor, type TestNet } from '../helpers.js'
import { decodeWeights, flatten } from '../../fl/weights.js'
import { inputsOf, predict } from '../../twin/infer.js'

let net: TestNet
let node: DitenClient
beforeAll(async () => {
  // 600 digits: 480 train (the one trainer's shard, so the member's registered data), 60 validation, 60 test
  net = await testNet(1, {
    dataSize: 480,
    params: p => {
      p.consensus.blockIntervalMs = 200
      p.fl = { ...p.fl, enabled: true, dataLimit: 600, trainers: 1, rounds: 1, localEpochs: 1, roundWaitMs: 2000 }
      p.tangle.cwThreshold = 50
    },
  })
  node = await adminClientOf(await net.start(0))
}, 60_000)
afterAll(async () => {
  await net?.close()
})

describe('a twin bound to the global model', () => {
  it('predicts with M(1) on every change and lists its host training record', async () => {
    await waitFor(async () => (await node.call<{ closed: unknown[] }>('fl_status')).closed.length >= 1, 'round 1 closed', 60_000)
    const st = await node.call<{ closed: { model: string; accepted: string[] }[] }>('fl_status')
    expect(st.closed[0]!.accepted).toEqual(['node-0'])
    const definition = { id: 'dtmi:acme:camera;1', features: { pixels: { properties: {}, additionalProperties: true } } }
    const cam = TwinDevice.generate(node, 'acme:camera-1')
    await twins(node).register({ twinId: cam.twinId, definition, owner: cam.publicKey, wait: true })
    const inputs = Array.from({ length: 784 }, (_, i) => `pixels.properties.p${i}`)
    await twins(node).bindModel({ twinId: cam.twinId, round: 1, inputs, wait: true })
    const bound = await twins(node).get(cam.twinId)
    // binding is a change too: the model predicts from the current (empty) state at once
    expect(bound.model).toMatchObject({ hash: st.closed[0]!.model, round: 1 })
    expect(bound.model!.scores).toHaveLength(10)
    const patch = (v: number) => ({ pixels: { properties: Object.fromEntries(inputs.slice(200, 400).map(p => [p.split('.')[2]!, v])) } })
    await cam.sync(patch(0.9), { wait: true })
    const a = await twins(node).get(cam.twinId)
    // the stored prediction is M(1)'s forward pass over the twin's inputs (the model fetched from the node and run here)
    const m1 = (await node.call<{ blob: string }>('fl_getModel', { round: 1 })).blob
    const weights = flatten(decodeWeights(new Uint8Array(Buffer.from(m1, 'base64'))))
    const expected = predict(net.genesis.params.fl.model, weights, inputsOf(a.features, inputs, net.genesis.params.fl.model.layers[0]!))
    expect({ label: a.model!.label, scores: a.model!.scores }).toEqual(expected)
    expect(a.model!.scores).toHaveLength(10)
    await cam.sync(patch(0), { wait: true })
    const b = await twins(node).get(cam.twinId)
    expect(b.model!.scores).not.toEqual(a.model!.scores)
    const records = await node.call<{ training: { round: number; outcome: string; globalModel: string }[] }>('twin_records', {
      twinId: cam.twinId,
    })
    expect(records.training).toEqual([expect.objectContaining({ round: 1, outcome: 'accepted', globalModel: st.closed[0]!.model })])
  }, 120_000)
})
