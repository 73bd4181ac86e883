/**
 * Proposer ("block manager") order for one height: committee members sampled without
 * replacement, weighted by 1 + votes × reputation, with randomness from the previous block
 * hash (seed 000: "elected based on the votes and the random factor"). Round r uses
 * order[r mod n], so every member gets a turn before anyone gets a second one.
 */
import { concatBytes, utf8Bytes } from '../ledger/index.js'
import { SeededRandom } from './prng.js'

export function proposerOrder(committee: number[], weightOf: (member: number) => number, prevHash: Uint8Array, shard: number): number[] {
  const rng = new SeededRandom(concatBytes(utf8Bytes(`proposer:${shard}:`), prevHash))
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
