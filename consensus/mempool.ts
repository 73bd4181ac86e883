/**
 * A bounded pool of pending transactions for one shard: deduplicated by id, ordered per
 * sender by nonce, interleaved across senders for fairness, capped in count, bytes and
 * per-sender depth, with age-based eviction. Every refusal says why (a code).
 *
 * A nonce may run at most `maxNonceAhead` past the end of the sender's contiguous pending run
 * (TX_NONCE_TOO_FAR otherwise): a sender that pipelines in order is never limited (256 leaves
 * room for batches reordered over a dozen parallel HTTP connections), while one that skips
 * nonces can park at most that many transactions that cannot commit, and those leave with the
 * TTL (the node evicts on a timer, not only when the pool is full).
 */
import { DitenError, ErrorCode, toHex, type SignedTx } from '../ledger/index.js'
import { staleNonce } from './state/execute.js'

export interface MempoolOptions {
  maxTxs: number
  maxBytes: number
  maxPerSender: number
  /** pending transactions older than this are dropped */
  ttlMs: number
  /** how far a nonce may run past the sender's contiguous pending run */
  maxNonceAhead: number
}

export const defaultMempoolOptions: MempoolOptions = {
  maxTxs: 100_000,
  maxBytes: 128 * 1024 * 1024,
  maxPerSender: 50_000,
  ttlMs: 120_000,
  maxNonceAhead: 256,
}

interface Entry {
  id: string
  tx: SignedTx
  bytes: number
  addedAt: number
}

export class Mempool {
  private readonly byId = new Map<string, Entry>()
  /** sender → nonce → entry */
  private readonly bySender = new Map<string, Map<number, Entry>>()
  private bytes = 0

  constructor(private readonly opts: MempoolOptions = defaultMempoolOptions) {}

  get size(): number {
    return this.byId.size
  }
  get totalBytes(): number {
    return this.bytes
  }
  /** The nonce after the sender's contiguous pending run from `next` (what it signs next). */
  nextNonce(sender: string, next: number): number {
    const m = this.bySender.get(sender)
    while (m?.has(next)) next++
    return next
  }

  /** The pending transaction with this id. */
  get(id: string): SignedTx | undefined {
    return this.byId.get(id)?.tx
  }

  has(id: string): boolean {
    return this.byId.has(id)
  }

  /** Adds a checked transaction; `nextNonce` is the sender's next nonce in committed state. */
  add(tx: SignedTx, id: string, nextNonce: number, now: number): void {
    if (this.byId.has(id)) throw new DitenError(ErrorCode.MEMPOOL_DUPLICATE, 'this transaction is already pending')
    if (tx.body.nonce < nextNonce) throw staleNonce(tx, nextNonce)
    const sender = toHex(tx.body.sender)
    const mine = this.bySender.get(sender)
    const runEnd = this.nextNonce(sender, nextNonce)
    if (tx.body.nonce > runEnd + this.opts.maxNonceAhead) {
      throw new DitenError(
        ErrorCode.TX_NONCE_TOO_FAR,
        `nonce ${tx.body.nonce} is more than ${this.opts.maxNonceAhead} past the sender's next one (${runEnd}); send the missing ones first`,
      )
    }
    const clash = mine?.get(tx.body.nonce)
    if (clash) throw new DitenError(ErrorCode.TX_NONCE_USED, `another pending transaction already uses nonce ${tx.body.nonce}`)
    if ((mine?.size ?? 0) >= this.opts.maxPerSender)
      throw new DitenError(ErrorCode.MEMPOOL_FULL, `sender has ${this.opts.maxPerSender} pending transactions`)
    const bytes = tx.body.payload.length + 200
    if (this.byId.size >= this.opts.maxTxs || this.bytes + bytes > this.opts.maxBytes) {
      this.evictExpired(now)
      if (this.byId.size >= this.opts.maxTxs || this.bytes + bytes > this.opts.maxBytes) {
        throw new DitenError(ErrorCode.MEMPOOL_FULL, `the pool holds ${this.byId.size} transactions / ${this.bytes} bytes; try again later`)
      }
    }
    const e: Entry = { id, tx, bytes, addedAt: now }
    this.byId.set(id, e)
    if (mine) mine.set(tx.body.nonce, e)
    else this.bySender.set(sender, new Map([[tx.body.nonce, e]]))
    this.bytes += bytes
  }

  /** Candidates for a block: each sender's transactions in nonce order, senders interleaved. */
  *candidates(): Iterable<SignedTx> {
    const queues = [...this.bySender.values()].map(m => [...m.values()].sort((a, b) => a.tx.body.nonce - b.tx.body.nonce))
    for (let i = 0; ; i++) {
      let any = false
      for (const q of queues) {
        const e = q[i]
        if (e) {
          any = true
          yield e.tx
        }
      }
      if (!any) return
    }
  }

  remove(id: string): void {
    const e = this.byId.get(id)
    if (!e) return
    this.byId.delete(id)
    const sender = toHex(e.tx.body.sender)
    const m = this.bySender.get(sender)
    m?.delete(e.tx.body.nonce)
    if (m && m.size === 0) this.bySender.delete(sender)
    this.bytes -= e.bytes
  }

  /** After a block: drop every transaction whose nonce is now used. */
  pruneNonces(nextNonce: (sender: string) => number): void {
    for (const [sender, m] of [...this.bySender]) {
      const next = nextNonce(sender)
      for (const [nonce, e] of [...m]) if (nonce < next) this.remove(e.id)
    }
  }

  /** Drops transactions older than the TTL; returns their ids. */
  evictExpired(now: number): string[] {
    const out: string[] = []
    for (const e of [...this.byId.values()]) {
      if (now - e.addedAt > this.opts.ttlMs) {
        this.remove(e.id)
        out.push(e.id)
      }
    }
    return out
  }

  /** How long a pending transaction has waited (undefined: not pending). */
  ageOf(id: string, now: number): number | undefined {
    const e = this.byId.get(id)
    return e ? now - e.addedAt : undefined
  }
}
