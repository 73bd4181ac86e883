/**
 * Writes a shard's decided blocks behind consensus: the next height starts while the previous
 * block's batch is synced to disk. One write is in flight at a time, in height order (the caller
 * awaits `ready()` before handing over the next), and a failed write stops the shard: memory would
 * be ahead of a disk that cannot catch up (a restart fetches the missing blocks from peers).
 */
import { describeError } from '../../ledger/index.js'
import type { Logger } from '../logger.js'
import type { CertifiedHead } from './access.js'
import type { ShardState } from '../../consensus/state/state.js'

export class CommitWriter {
  private writing: Promise<void> = Promise.resolve()
  /** the head on disk, with its state: what the API reads (consensus may be one height ahead); at first the genesis state */
  durable: CertifiedHead

  constructor(
    shard: number,
    genesisState: ShardState,
    private readonly o: { logger: Logger; failed(): void },
  ) {
    this.durable = { shard, state: genesisState, head: undefined, headCert: undefined, prevCommittee: undefined }
  }

  /** Resolves when the write in flight (if any) has landed. */
  ready(): Promise<void> {
    return this.writing
  }

  /**
   * Starts writing the block of `next`: `write` persists it, calls `landed` as soon as it is on
   * disk (`next` is then the durable head, before anyone is told) and then reports it.
   */
  start(next: CertifiedHead & { head: { height: number } }, txs: number, write: (landed: () => void) => Promise<void> | void): void {
    const t0 = performance.now()
    const height = next.head.height
    const landed = () => {
      this.durable = next
    }
    this.writing = Promise.resolve()
      .then(() => write(landed))
      .then(
        () => {
          landed()
          this.o.logger.debug({ height, txs, ms: Math.round(performance.now() - t0) }, 'committed')
        },
        (e: unknown) => {
          this.o.logger.error({ height, err: describeError(e) }, 'a decided block could not be written: this shard stops deciding')
          this.o.failed()
        },
      )
  }
}
