/**
 * Building or validating a block writes nothing (DESIGN §3): a block that closes an FL round
 * derives M(e) and hands it back with the post-state; the node writes it in the block's one
 * commit batch. The model source here is the node's real BlobStore over a real LevelDB whose
 * writes throw (and are counted) while the block is built and validated.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Bucket, bucketKey, bytesEqual, fromHex, headerHash, toHex, txId, type KvOp } from '../../../ledger/index.js'
import { buildBlock, committeeFor, proposerOf, validateBlock, type ChainView } from '../../../consensus/blocks.js'
import { SigCache } from '../../../consensus/sigcache.js'
import { precommitOf, signVote } from '../../../consensus/certificate.js'
import { stateRoot } from '../../../consensus/state/state.js'
import { cloneState } from '../../../consensus/state/state.js'
import { encodeWeights, unflatten } from '../../../fl/weights.js'
import { LevelStore } from '../../../node/db.js'
import { BlobStore } from '../../../node/fl/blobs.js'
import { ChainStore } from '../../../node/chain/store.js'
import { createLogger } from '../../../node/logger.js'
import { setup, shapes } from './fl-fixture.js'

/** A LevelDB that refuses every write while `armed` (and counts the attempts). */
class GuardedStore {
  armed = false
  attempts = 0
  constructor(readonly db: LevelStore) {}
  get = (k: Uint8Array) => this.db.get(k)
  entries = (r: Parameters<LevelStore['entries']>[0]) => this.db.entries(r)
  batch = (ops: KvOp[], o?: { sync?: boolean }): Promise<void> => {
    if (this.armed) {
      this.attempts++
      throw new Error(`a write during build/validate: ${ops.length} ops`)
    }
    return this.db.batch(ops, o)
  }
}

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

describe('a pure state transition', () => {
  it('builds and validates a round-closing block with no disk write; the commit batch stores M(e)', async () => {
    const f = setup()
    // round 1: every member's update, accepted by three verifiers each (the round is due to close)
    const prepared = cloneState(f.state)
    const ids: string[] = []
    for (const i of [0, 1, 2, 3]) {
      f.apply(prepared, f.update(i, f.weights(i)))
      ids.push(prepared.fl.updates.at(-1)!.id)
    }
    for (const id of ids) for (const v of [0, 1, 2]) f.apply(prepared, f.verdict(v, id, true))

    const dir = await mkdtemp(join(tmpdir(), 'diten-pure-'))
    dirs.push(dir)
    const level = await LevelStore.open(join(dir, 'db'))
    const store = new GuardedStore(level)
    const db = store as unknown as LevelStore
    const blobs = new BlobStore(f.genesis.params.fl.model, {
      db,
      reqresp: {} as never,
      host: {} as never,
      members: {} as never,
      logger: createLogger({ level: 'silent', name: 'pure' }),
    })
    for (const [, l] of f.blobs) if ('weights' in l) await blobs.put(encodeWeights(unflatten(shapes, l.weights)))

    const elections = new Map(f.state.system!.elections.map(e => [e.epoch, e]))
    const view: ChainView = {
      genesis: f.genesis,
      sigCache: new SigCache(),
      models: blobs,
      election: e => elections.get(e),
      memberKey: i => f.keys[i]!.publicKey,
      header: () => undefined,
      lastLinked: () => 0,
    }
    const committee = committeeFor(view, 0, 1, undefined)!
    const proposer = f.keys[committee.members[proposerOf(committee, 0)]!]!.publicKey

    store.armed = true
    const built = buildBlock({
      view,
      state: prepared,
      prev: undefined,
      prevCommittee: undefined,
      lastCommit: undefined,
      committee,
      round: 0,
      proposer,
      time: Date.now(),
      candidates: [],
      links: [],
    })
    const validated = validateBlock({
      view,
      block: built.block,
      state: prepared,
      prev: undefined,
      prevCommittee: undefined,
      committee,
      now: Date.now(),
    })
    expect(store.attempts).toBe(0)

    // the round closed and M(1) came back with the post-state, identical from build and validate
    expect(prepared.system!.fl.round).toBe(1)
    expect(built.state.system!.fl.round).toBe(2)
    const m1 = built.state.system!.fl.model
    expect(built.state.derived.map(d => d.hash)).toEqual([m1])
    expect(validated.derived.map(d => d.hash)).toEqual([m1])
    expect(toHex(stateRoot(validated))).toBe(toHex(built.block.header.stateRoot))
    expect(await level.get(bucketKey(Bucket.blobs, fromHex(m1)))).toBeUndefined()

    // the commit: block, state and M(1) in one batch
    store.armed = false
    const vote = { shard: 0, height: 1, round: 0, blockHash: headerHash(built.block.header) }
    const sigs = [0, 1, 2].map(v => ({
      validator: v,
      sig: signVote(precommitOf(f.genesis.chainId, vote, committee.keys[v]!), f.keys[committee.members[v]!]!.secretKey),
    }))
    const cert = { ...vote, sigs }
    const chainStore = new ChainStore(db)
    await chainStore.writeWholeState(prepared)
    await chainStore.commit(
      { block: built.block, cert },
      validated,
      prepared,
      built.block.txs.map(t => txId(t.body)),
      [],
    )
    // the state reads back key by key with the block's root
    expect(toHex(stateRoot((await chainStore.loadState(0))!))).toBe(toHex(built.block.header.stateRoot))
    blobs.adopt(validated.derived)
    const stored = await level.get(bucketKey(Bucket.blobs, fromHex(m1)))
    expect(stored && bytesEqual(stored, validated.derived[0]!.blob)).toBe(true)
    expect(blobs.lookup(m1)).toEqual({ weights: validated.derived[0]!.weights })
    await level.close()
  })
})
