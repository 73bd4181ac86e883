/**
 * The double-sign guard. Before any proposal or vote is signed, the (height, round, step)
 * and the current lock are written to disk; a request for an earlier step, or for the same
 * step with another block, is refused. After a restart (even kill -9) the node therefore
 * never signs two different messages for one step.
 *
 * The record lives in its own file per shard, written synchronously (write, fsync, atomic
 * rename) rather than through LevelDB: it sits on the critical path of every height three
 * times, and an asynchronous database write waits for the thread pool and then for the event
 * loop (40–400 ms each under load), while this costs well under a millisecond. Nodes whose
 * record is still in the database (older versions) read it from there once.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { bytesEqual, DitenError, ErrorCode, describeError, headerHash, type Keypair } from '../../ledger/index.js'
import { signStateCodec, type ChainStore, type SignState } from './store.js'

export const STEP_PROPOSAL = 1
export const STEP_PREVOTE = 2
export const STEP_PRECOMMIT = 3

function cmp(a: { height: number; round: number; step: number }, b: { height: number; round: number; step: number }): number {
  return a.height - b.height || a.round - b.round || a.step - b.step
}

export class SignGuard {
  private last: SignState | undefined

  /**
   * @param file where this shard's record is kept
   * @param legacy the chain store older versions kept the record in (read when the file is absent)
   */
  constructor(
    private readonly shard: number,
    readonly keypair: Keypair,
    private readonly file: string,
    private readonly legacy?: ChainStore,
  ) {}

  async load(): Promise<SignState | undefined> {
    let bytes: Uint8Array | undefined
    try {
      bytes = readFileSync(this.file)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
    if (bytes) {
      try {
        this.last = signStateCodec.decode(bytes)
      } catch (e) {
        // signing without knowing what was signed could equivocate: refuse to start instead
        throw new DitenError(ErrorCode.DB_CORRUPT, `double-sign record ${this.file} is unreadable (${describeError(e)}); restore it or remove it only if this key signed nothing at later heights`)
      }
    } else {
      this.last = await this.legacy?.signStates.get(this.shard)
    }
    // a valid block that is the locked one is written once (see persist)
    const l = this.last
    if (l && !l.validBlock && l.lockedBlock && l.validRound >= 0 && l.validRound === l.lockedRound) this.last = { ...l, validBlock: l.lockedBlock }
    return this.last
  }

  get lastSigned(): SignState | undefined {
    return this.last
  }

  /** Persists the intent to sign; false means signing would equivocate. */
  async allow(next: SignState): Promise<boolean> {
    const last = this.last
    if (last) {
      const c = cmp(next, last)
      if (c < 0) return false
      if (c === 0) return bytesEqual(next.hash, last.hash)
    }
    this.persist(next)
    this.last = next
    return true
  }

  private persist(s: SignState): void {
    // locking on a polka makes the block both locked and valid in the same round: write it once
    let rec = s
    if (s.validBlock && s.lockedBlock && s.validRound === s.lockedRound && (s.validBlock === s.lockedBlock || bytesEqual(headerHash(s.validBlock.header), headerHash(s.lockedBlock.header)))) {
      const { validBlock: _, ...rest } = s
      rec = rest
    }
    const tmp = `${this.file}.tmp`
    const fd = openSync(tmp, 'w')
    try {
      writeSync(fd, signStateCodec.encode(rec))
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.file)
  }
}
