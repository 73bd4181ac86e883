import { Roster } from '../../../consensus/roster.js'
/** A 4-member genesis with FL on, signed fl.update / fl.verdict makers and an in-memory model source. */
import {
  createGenesis,
  defaultGenesisParams,
  genesisHash,
  generateKeypair,
  signTx,
  toHex,
  type Keypair,
  type SignedTx,
} from '../../../ledger/index.js'
import { applyTx, checkTx, initialStates } from '../../../consensus/state/execute.js'
import type { ShardState } from '../../../consensus/state/state.js'
import { flUpdateCodec, flVerdictCodec, type ModelLookup, type ModelSource } from '../../../consensus/state/fl.js'
import { initialModel } from '../../../fl/init.js'
import { encodeWeights, flatten, unflatten, weightsHash } from '../../../fl/weights.js'

export const spec = { layers: [4, 3, 2], activation: 'relu' as const }
export const shapes = [[4, 3], [3], [3, 2], [2]]

export function setup() {
  const keys: Keypair[] = Array.from({ length: 4 }, () => generateKeypair())
  const params = defaultGenesisParams()
  params.fl = { ...params.fl, enabled: true, model: spec, trainers: 8, rounds: 3, roundTimeoutMs: 10_000 }
  // trainers t<j> live on member j mod 4: each member hosts two with 50 samples each
  const genesis = createGenesis({
    genesisTime: Date.now(),
    chainId: 'unit-fl',
    params,
    members: keys.map((k, i) => ({ name: `m${i}`, publicKey: toHex(k.publicKey), dataSize: 100 })),
  })
  const blobs = new Map<string, ModelLookup>()
  const models: ModelSource = { lookup: h => blobs.get(h) }
  const put = (w: Float32Array) => {
    const hash = weightsHash(encodeWeights(unflatten(shapes, w)))
    blobs.set(hash, { weights: w })
    return hash
  }
  const m0 = flatten(initialModel(spec, genesisHash(genesis)))
  put(m0)
  const state = initialStates(genesis)[0]!
  const nonces = new Map<number, number>()
  const sign = (i: number, kind: string, payload: Uint8Array): SignedTx => {
    const n = nonces.get(i) ?? 0
    nonces.set(i, n + 1)
    return signTx({ chainId: 'unit-fl', kind, sender: keys[i]!.publicKey, nonce: n, payload }, keys[i]!.secretKey)
  }
  const apply = (s: ShardState, tx: SignedTx) => {
    try {
      const election = s.system!.elections.find(e => e.epoch === s.system!.epoch)!
      applyTx(s, tx, checkTx(tx, genesis).payload, { genesis, roster: Roster.ofGenesis(genesis), epoch: s.system!.epoch, election, models })
    } catch (e) {
      nonces.set(
        keys.findIndex(k => toHex(k.publicKey) === toHex(tx.body.sender)),
        tx.body.nonce,
      ) // refused: the nonce is free again
      throw e
    }
  }
  /** member i's update: M(0) + scale·(a common direction) + a small member-specific wiggle */
  const weights = (i: number, scale = 1) => m0.map((x, k) => x + scale * (0.01 * ((k % 5) + 1) + 0.001 * i * ((k % 3) - 1)))
  const update = (i: number, w: Float32Array, o: { round?: number; dataSize?: number; trainers?: string[] } = {}) => {
    const trainers = (o.trainers ?? [`t${i}`, `t${i + 4}`]).map(t => ({ trainer: t, dataSize: (o.dataSize ?? 100) / 2 }))
    return sign(
      i,
      'fl.update',
      flUpdateCodec.encode({
        shard: 0,
        round: o.round ?? 1,
        baseRound: o.round ?? 1,
        modelHash: put(w),
        dataSize: o.dataSize ?? 100,
        trainers,
        tangleIds: [],
      }),
    )
  }
  const verdict = (i: number, id: string, accept: boolean) =>
    sign(i, 'fl.verdict', flVerdictCodec.encode({ shard: 0, update: id, accept, accuracyBp: 9000 }))
  return { keys, genesis, state, models, blobs, m0, apply, weights, update, verdict, put, resetNonces: () => nonces.clear() }
}
