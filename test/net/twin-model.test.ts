/**
 * FL meets twins on a four-member network (a verifying committee needs four): round 1 closes,
 * its global model M(1) can be bound to a twin by hand only as M(1) itself, a twin whose
 * definition names the FL task is bound to M(1) and M(2) with no call as the rounds close, every later sync stores the model's prediction, and the twin's records
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
  // 2000 digits: 1600 train (four trainers' shards of 400, one per member: its registered data), 200 validation, 200 test
  net = await testNet(4, {
    dataSize: 400,
    params: p => {
      p.consensus.blockIntervalMs = 200
      // four trainers share this process: give every member time to submit (a round closes as soon as all did)
      p.fl = {
        ...p.fl,
        enabled: true,
        dataLimit: 2000,
        trainers: 4,
        rounds: 2,
        localEpochs: 1,
        roundWaitMs: 10_000,
        roundTimeoutMs: 90_000,
      }
      p.tangle.cwThreshold = 50
    },
  })
  for (let i = 0; i < 4; i++) await net.start(i)
  node = await adminClientOf(net.nodes[0]!)
}, 60_000)
afterAll(async () => {
  await net?.close()
})

type Status = { round: number; closed: { round: number; model: string; accepted: string[] }[] }

describe('twins bound to the global model', () => {
  it('predicts with M(e) on every change, follows the rounds, and lists its host training record', async () => {
    // a twin of the FL task, registered before any round closed: M(1) and M(2) follow with no call
    const inputs = Array.from({ length: 784 }, (_, i) => `pixels.properties.p${i}`)
    const definition = { id: 'dtmi:acme:camera;1', features: { pixels: { properties: {}, additionalProperties: true } } }
    const patch = (v: number) => ({ pixels: { properties: Object.fromEntries(inputs.slice(200, 400).map(p => [p.split('.')[2]!, v])) } })
    const probe = TwinDevice.generate(node, 'acme:camera-2')
    await twins(node).register({
      twinId: probe.twinId,
      definition: { ...definition, id: 'dtmi:acme:camera;2', model: { task: 'fl', inputs } },
      owner: probe.publicKey,
      features: patch(0.5),
      wait: true,
    })
    expect((await twins(node).get(probe.twinId)).model).toBeUndefined()
    await waitFor(async () => (await node.call<Status>('fl_status')).closed.length >= 1, 'round 1 closed', 90_000)
    const st = await node.call<Status>('fl_status')
    expect(st.closed[0]!.accepted.length).toBeGreaterThanOrEqual(3)
    const cam = TwinDevice.generate(node, 'acme:camera-1')
    await twins(node).register({ twinId: cam.twinId, definition, owner: cam.publicKey, wait: true })
    // by hand: only M(1) itself may be bound as round 1's model (not M(0), which this node holds too)
    const m0 = (await node.call<{ hash: string }>('fl_getModel', { round: 0 })).hash
    await expect(twins(node).bindModel({ twinId: cam.twinId, round: 1, inputs, modelHash: m0, wait: true })).rejects.toThrow(
      /TWIN_MODEL_MISMATCH|is not M\(1\)/,
    )
    await twins(node).bindModel({ twinId: cam.twinId, round: 1, inputs, wait: true })
    const bound = await twins(node).get(cam.twinId)
    // binding is a change too: the model predicts from the current (empty) state at once
    expect(bound.model).toMatchObject({ hash: st.closed[0]!.model, round: 1 })
    expect(bound.model!.scores).toHaveLength(10)
    await cam.sync(patch(0.9), { wait: true })
    const a = await twins(node).get(cam.twinId)
    // the stored prediction is M(1)'s forward pass over the twin's inputs (the model fetched from the node and run here)
    const m1 = (await node.call<{ blob: string }>('fl_getModel', { round: 1 })).blob
    const weights = flatten(decodeWeights(new Uint8Array(Buffer.from(m1, 'base64'))))
    const expected = predict(net.genesis.params.fl.model, weights, inputsOf(a.features, inputs, net.genesis.params.fl.model.layers[0]!))
    expect({ label: a.model!.label, scores: a.model!.scores }).toEqual(expected)
    await cam.sync(patch(0), { wait: true })
    const b = await twins(node).get(cam.twinId)
    expect(b.model!.scores).not.toEqual(a.model!.scores)
    const records = await node.call<{ training: { round: number; outcome: string; globalModel: string }[] }>('twin_records', {
      twinId: cam.twinId,
    })
    // round 2 may have closed by now: its record is listed too
    expect(records.training).toEqual(expect.arrayContaining([expect.objectContaining({ round: 1, globalModel: st.closed[0]!.model })]))

    await waitFor(async () => (await twins(node).get(probe.twinId)).model?.round === 2, 'M(2) bound to the task twin', 90_000)
    const m2 = (await node.call<Status>('fl_status')).closed[1]!.model
    const p = await twins(node).get(probe.twinId)
    expect(p.model!.hash).toBe(m2)
    const w2 = flatten(
      decodeWeights(new Uint8Array(Buffer.from((await node.call<{ blob: string }>('fl_getModel', { round: 2 })).blob, 'base64'))),
    )
    expect({ label: p.model!.label, scores: p.model!.scores }).toEqual(
      predict(net.genesis.params.fl.model, w2, inputsOf(p.features, inputs, net.genesis.params.fl.model.layers[0]!)),
    )
    const history = await twins(node).history(probe.twinId)
    expect(history.changes.map(c => c.kind)).toEqual(['register', 'bindModel', 'bindModel'])
    expect(history.changes.slice(1).map(c => c.change)).toMatchObject([
      { round: 1, auto: true, modelHash: st.closed[0]!.model },
      { round: 2, auto: true, modelHash: m2 },
    ])
  }, 200_000)
})
