/**
 * A member whose trainers run an adaptive attack (fault injection, fl/craft.ts). Its trainers first
 * train honestly, like everyone else; then — as the colluding attackers of the literature do —
 * the member waits for the round's honest local updates to appear on the tangle (the other
 * members' trainers publish them there; it waits until it has seen half of the other trainers'
 * updates, at most T_p or twice its own training time), and its trainers publish what the attack
 * crafts from them. With fewer than two honest updates in sight when the wait ends, its own honest updates
 * stand in for them (the attacker estimates the honest statistics from its own data).
 */
import type { Logger } from '../logger.js'
import { craftMalicious, type AdaptiveAttack } from '../../fl/craft.js'
import type { Dataset } from '../../fl/data.js'
import type { Trainer, TrainOptions } from '../../fl/train.js'

export interface AdaptiveRound {
  attack: AdaptiveAttack
  model: Trainer
  base: Float32Array
  /** this member's trainers in the round and their data */
  trainers: readonly { twin: string; data: Dataset }[]
  /** trainers in the round, over all members */
  n: number
  /** the other members' local updates of the round seen on the tangle so far */
  honest: () => Float32Array[]
  /** the least the member waits for honest updates after its own training (it waits at least twice its training time) */
  minWaitMs: number
  train: TrainOptions
  seed: number
  logger: Logger
}

const POLL_MS = 250

/** The weights each trainer publishes, in the order of `trainers`. */
export async function craftFromTangle(r: AdaptiveRound): Promise<Float32Array[]> {
  const own: Float32Array[] = []
  const t0 = Date.now()
  for (const t of r.trainers) own.push(await r.model.train(r.base, t.data, r.train))
  const waitMs = Math.max(r.minWaitMs, 2 * (Date.now() - t0))
  const m = r.trainers.length
  const want = Math.max(2, Math.ceil((r.n - m) / 2))
  const started = Date.now()
  let honest = r.honest()
  while (honest.length < want && Date.now() - started < waitMs) {
    await new Promise(ok => setTimeout(ok, POLL_MS))
    honest = r.honest()
  }
  const view = { base: r.base, honest: honest.length >= 2 ? honest : [...honest, ...own] }
  r.logger.info(
    { attack: r.attack, honestSeen: honest.length, view: view.honest.length, waitedMs: Date.now() - started },
    'adaptive attack: crafting from the round’s honest updates',
  )
  return craftMalicious({
    attack: r.attack,
    model: r.model,
    view,
    shards: r.trainers.map(t => t.data),
    n: r.n,
    train: r.train,
    seed: r.seed,
    dataSeed: r.seed,
  })
}
