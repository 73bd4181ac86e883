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
import { dirname } from 'node:path'
import {
  bytesEqual,
  DitenError,
  ErrorCode,
  VoteType,
  describeError,
  headerHash,
  proposalStubCodec,
  sign,
  toHex,
  type Block,
  type Keypair,
  type ProposalStub,
  type Vote,
} from '../../ledger/index.js'
import { signVote } from '../../consensus/certificate.js'
import { PROPOSAL_DOMAIN } from '../../consensus/evidence.js'
import { signStateCodec, type ChainStore, type SignState } from './store.js'

export const STEP_PROPOSAL = 1
export const STEP_PREVOTE = 2
export const STEP_PRECOMMIT = 3

function cmp(a: { height: number; round: number; step: number }, b: { height: number; round: number; step: number }): number {
  return a.height - b.height || a.round - b.round || a.step - b.step
}

/** The lock a signature is given under (Tendermint's lockedValue/validValue with their blocks). */
export type Lock = { lockedRound: number; lockedBlock?: Block; validRound: number; validBlock?: Block }

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
        throw new DitenError(
          ErrorCode.DB_CORRUPT,
          `double-sign record ${this.file} is unreadable (${describeError(e)}); restore it or remove it only if this key signed nothing at later heights`,
        )
      }
    } else {
      this.last = await this.legacy?.signStates.get(this.shard)
    }
    // a valid block that is the locked one is written once (see persist)
    const l = this.last
    if (l && !l.validBlock && l.lockedBlock && l.validRound >= 0 && l.validRound === l.lockedRound)
      this.last = { ...l, validBlock: l.lockedBlock }
    return this.last
  }

  /**
   * After a restart in the middle of `height`: the blocks and the lock to restore and the first
   * round not signed in; undefined when nothing was signed at that height.
   */
  resume(height: number):
    | {
        blocks: Block[]
        lock: { lockedValue: string | null; lockedRound: number; validValue: string | null; validRound: number }
        round: number
      }
    | undefined {
    const l = this.last
    if (!l || l.height !== height) return undefined
    const hex = (b: Block | undefined) => (b ? toHex(headerHash(b.header)) : null)
    return {
      blocks: [l.lockedBlock, l.validBlock].filter((b): b is Block => b !== undefined),
      lock: { lockedValue: hex(l.lockedBlock), lockedRound: l.lockedRound, validValue: hex(l.validBlock), validRound: l.validRound },
      round: l.round + 1,
    }
  }

  /** Signs a proposal after persisting the intent; undefined when it would be a second proposal for the round. */
  async signProposal(stub: ProposalStub, lock: Lock): Promise<Uint8Array | undefined> {
    if (!(await this.allow({ height: stub.height, round: stub.round, step: STEP_PROPOSAL, hash: stub.blockHash, ...lock })))
      return undefined
    return sign(this.keypair.secretKey, PROPOSAL_DOMAIN, proposalStubCodec.encode(stub))
  }

  /** Signs a prevote or precommit after persisting the intent; undefined when it would conflict with an earlier signature. */
  async signVote(vote: Vote, lock: Lock): Promise<Uint8Array | undefined> {
    const step = vote.type === VoteType.prevote ? STEP_PREVOTE : STEP_PRECOMMIT
    if (!(await this.allow({ height: vote.height, round: vote.round, step, hash: vote.blockHash, ...lock }))) return undefined
    return signVote(vote, this.keypair.secretKey)
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
    if (
      s.validBlock &&
      s.lockedBlock &&
      s.validRound === s.lockedRound &&
      (s.validBlock === s.lockedBlock || bytesEqual(headerHash(s.validBlock.header), headerHash(s.lockedBlock.header)))
    ) {
      const { validBlock: _, ...rest } = s
      rec = rest
    }
    const tmp = `${this.file}.tmp`
    const bytes = signStateCodec.encode(rec)
    const fd = openSync(tmp, 'w', 0o600)
    try {
      // writeSync may write less than asked (a full disk): loop, and fail loudly on no progress
      for (let off = 0; off < bytes.length; ) {
        const n = writeSync(fd, bytes, off, bytes.length - off)
        if (n <= 0) throw new DitenError(ErrorCode.DB_CORRUPT, `double-sign record ${tmp}: short write (${off} of ${bytes.length} bytes)`)
        off += n
      }
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.file)
    // the rename is durable only once the directory entry is: fsync the folder too
    const dir = openSync(dirname(this.file), 'r')
    try {
      fsyncSync(dir)
    } finally {
      closeSync(dir)
    }
  }
}
