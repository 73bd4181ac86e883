/**
 * Proposer ("block manager") order for one height: committee members sampled without
 * replacement, weighted by 1 + votes × reputation ([R1]: "elected based on the votes and
 * the random factor"). Round r uses order[r mod n], so every member gets a turn before anyone
 * gets a second one.
 *
 * The random factor is seeded by (genesis, shard, height) only — never by a block hash, a time
 * or anything else a proposer chooses — so no proposer can grind who proposes next (a member
 * that tried header times could otherwise keep the round-0 slot at every height). Like
 * CometBFT's weighted round-robin, the order is predictable; it cannot be steered.
 */
import { concatBytes, genesisHash, taggedHash, utf8Bytes, type Genesis } from '../ledger/index.js'
import { SeededRandom } from './prng.js'

export function proposerSeed(g: Genesis, shard: number, height: number): Uint8Array {
  return taggedHash('proposer-seed', concatBytes(genesisHash(g), utf8Bytes(`:${shard}:${height}`)))
}

/** The seed of the election at an epoch boundary: (genesis, epoch) only, for the same reason. */
export function epochSeed(g: Genesis, epoch: number): Uint8Array {
  return taggedHash('epoch-seed', concatBytes(genesisHash(g), utf8Bytes(`:${epoch}`)))
}

export function proposerOrder(committee: number[], weightOf: (member: number) => number, seed: Uint8Array, shard: number): number[] {
  const rng = new SeededRandom(concatBytes(utf8Bytes(`proposer:${shard}:`), seed))
  const left = committee.map((m, idx) => ({ idx, w: 1 + Math.max(0, Math.floor(weightOf(m))) }))
  const order: number[] = []
  while (left.length > 0) {
    const total = left.reduce((s, x) => s + x.w, 0)
    let r = rng.belowBig(total)
    let k = 0
    while (r >= left[k]!.w) r -= left[k++]!.w
    order.push(left[k]!.idx)
    left.splice(k, 1)
  }
  return order
}
