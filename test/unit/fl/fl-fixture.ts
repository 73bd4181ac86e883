import { Roster } from '../../../consensus/roster.js'
/**
 * A genesis with FL on (4 members and 1 committee unless asked otherwise), signed fl.update /
 * fl.verdict makers and an in-memory model source.
 */
import {
  createGenesis,
  defaultGenesisParams,
  genesisHash,
  generateKeypair,
  signTx,
  toHex,
  type GenesisParams,
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

export function setup(o: { members?: number; committees?: number; fl?: Partial<GenesisParams['fl']> } = {}) {
  const n = o.members ?? 4
  const keys: Keypair[] = Array.from({ length: n }, () => generateKeypair())
  const params = defaultGenesisParams()
  params.fl = { ...params.fl, enabled: true, model: spec, trainers: 2 * n, rounds: 3, roundTimeoutMs: 10_000, ...o.fl }
  // trainer twins trainer:t<j> live on member j mod n: each member hosts two with 50 samples each
  const trainerKeys = Array.from({ length: 2 * n }, () => generateKeypair())
  const genesis = createGenesis({
    committees: o.committees ?? 1,
    genesisTime: Date.now(),
    chainId: 'unit-fl',
    params,
    members: keys.map((k, i) => ({ name: `m${i}`, publicKey: toHex(k.publicKey), dataSize: 100 })),
    trainers: trainerKeys.map((k, j) => ({ twinId: `trainer:t${j}`, owner: toHex(k.publicKey), host: `m${j % n}`, dataSize: 50 })),
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
  const states = initialStates(genesis)
  const state = states[0]!
  const nonces = new Map<string, number>()
  /** nonces run per member and shard */
  const sign = (i: number, kind: string, payload: Uint8Array, shard = 0): SignedTx => {
    const n = nonces.get(`${i}/${shard}`) ?? 0
    nonces.set(`${i}/${shard}`, n + 1)
    return signTx({ chainId: 'unit-fl', kind, sender: keys[i]!.publicKey, nonce: n, payload }, keys[i]!.secretKey)
  }
  /** applies on `s` (on a shard ≥ 1: with the election of the system state `sys`), in a block of `time` */
  const apply = (s: ShardState, tx: SignedTx, sys = s.system, time?: number) => {
    try {
      const election = sys!.elections.find(e => e.epoch === sys!.epoch)!
      const ctx = { genesis, roster: Roster.ofGenesis(genesis), epoch: sys!.epoch, election, models }
      applyTx(s, tx, checkTx(tx, genesis).payload, time === undefined ? ctx : { ...ctx, time })
    } catch (e) {
      nonces.set(`${keys.findIndex(k => toHex(k.publicKey) === toHex(tx.body.sender))}/${s.shard}`, tx.body.nonce) // refused: the nonce is free again
      throw e
    }
  }
  /** member i's update: M(0) + scale·(a common direction) + a small member-specific wiggle */
  const weights = (i: number, scale = 1) => m0.map((x, k) => x + scale * (0.01 * ((k % 5) + 1) + 0.001 * i * ((k % 3) - 1)))
  const update = (i: number, w: Float32Array, u: { round?: number; dataSize?: number; trainers?: string[]; shard?: number } = {}) => {
    const names = u.trainers ?? [`trainer:t${i}`, `trainer:t${i + n}`]
    const trainers = names.map(t => ({ trainer: t, dataSize: (u.dataSize ?? 100) / names.length }))
    return sign(
      i,
      'fl.update',
      flUpdateCodec.encode({
        shard: u.shard ?? 0,
        round: u.round ?? 1,
        baseRound: u.round ?? 1,
        modelHash: put(w),
        dataSize: u.dataSize ?? 100,
        trainers,
        tangleIds: [],
      }),
      u.shard ?? 0,
    )
  }
  const verdict = (i: number, id: string, accept: boolean, shard = 0, trustBp = 10_000) =>
    sign(
      i,
      'fl.verdict',
      flVerdictCodec.encode({ shard, update: id, accept, accuracyBp: 9000, reason: accept ? 'ok' : 'accuracy', trustBp }),
      shard,
    )
  return {
    keys,
    trainerKeys,
    sign,
    genesis,
    state,
    states,
    models,
    blobs,
    m0,
    apply,
    weights,
    update,
    verdict,
    put,
    resetNonces: () => nonces.clear(),
  }
}
