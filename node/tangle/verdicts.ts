/**
 * This node's judgement of each stored tangle transaction (the FL model rules: local policy),
 * kept beside the transaction so a restart rebuilds the same tangle without judging again. A
 * judgement depends on what the node had seen when the transaction arrived, and judging at start
 * waits for other members' updates of the round that are not there yet: before verdicts were kept,
 * a node holding 99 updates took 39 s to start.
 */
import {
  Bucket,
  Repository,
  type SignedTangleTx,
  bool,
  bytesKeys,
  defineCodec,
  describeError,
  fromHex,
  shortId,
  struct,
} from '../../ledger/index.js'
import type { LevelStore } from '../db.js'
import type { Logger } from '../logger.js'
import type { ValidityPredicate } from './types.js'

const verdictCodec = defineCodec('tangle.verdict', struct({ valid: bool }), 16)

export class TangleVerdicts {
  readonly repo: Repository<Uint8Array, { valid: boolean }>

  constructor(
    db: LevelStore,
    private readonly validity: ValidityPredicate | undefined,
    private readonly logger: Logger,
  ) {
    this.repo = new Repository(Bucket.tangleVerdicts, bytesKeys, verdictCodec, db)
  }

  /**
   * The kept verdict, else a judgement, kept for the next start. While `rebuilding` (the node is
   * starting) the predicate is told the kept verdict: it may return it at once (an old round) or
   * re-learn what the update tells it about its round (the open one) and still return it; a
   * transaction with no kept verdict (stored just before a crash, or by an older version) is
   * judged without waiting for other members' updates.
   */
  async judge(tx: SignedTangleTx, id: string, rebuilding: boolean): Promise<boolean> {
    if (!this.validity) return true
    const kept = rebuilding ? await this.repo.get(fromHex(id)) : undefined
    let valid: boolean
    try {
      valid = await this.validity(tx, id, { rebuilding, ...(kept ? { kept: kept.valid } : {}) })
    } catch (e) {
      // not a verdict on the update (a blob nobody could serve, a local fault): not kept, so a
      // restart judges it again
      this.logger.info({ id: shortId(id), err: describeError(e) }, 'tangle update could not be judged: not approved here')
      return kept?.valid ?? false
    }
    if (kept) return kept.valid
    await this.repo.put(fromHex(id), { valid })
    return valid
  }
}
