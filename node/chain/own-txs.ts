/**
 * Transactions this node signs for its own member (evidence, fl.update, fl.verdict). Nonces run
 * on from the committed state through this node's pending ones. If the head of that line can no
 * longer apply (a verdict on an update decided meanwhile, say), every proposer refuses it and the
 * ones behind it would wait on a nonce gap forever — so after each commit the line is checked
 * against the new state and, when its head is doomed, the head is dropped and the rest re-signed.
 */
import { DitenError, ErrorCode, describeError, signTx, toHex, type Genesis, type Keypair, type SignedTx } from '../../ledger/index.js'
import type { Mempool } from '../../consensus/mempool.js'
import { shardOfTx } from '../../consensus/state/execute.js'
import type { ShardState } from '../../consensus/state/state.js'
import type { Logger } from '../logger.js'
import { SerialQueue } from './serial-queue.js'
import { BLOB_WAIT_MS } from './proposals.js'

interface Own {
  kind: string
  payload: Uint8Array
  nonce: number
  id: string
  /** when it was first submitted (a head waiting for a model blob gives up after BLOB_WAIT_MS) */
  since: number
}

export interface OwnTxDeps {
  genesis: Genesis
  keypair: Keypair
  mempools: Mempool[]
  state(shard: number): ShardState
  submit(tx: SignedTx): Promise<{ id: string; shard: number }>
  /** an own transaction dropped because it can no longer apply (tx_get reports the reason) */
  dropped(id: string, why: DitenError): void
  /** an own transaction re-signed under a new id (tx_get follows it) */
  replaced(oldId: string, newId: string): void
  /** why `tx` would not apply on `state` now (undefined: it would) */
  dryRun(state: ShardState, tx: SignedTx): DitenError | undefined
  logger: Logger
}

export class OwnTxs {
  private readonly lines = new Map<number, Own[]>()
  /** submissions and reconciliations one at a time, so nonces are handed out in order */
  private readonly queue = new SerialQueue()

  constructor(private readonly d: OwnTxDeps) {}

  private sign(kind: string, payload: Uint8Array, nonce: number): SignedTx {
    return signTx({ chainId: this.d.genesis.chainId, kind, sender: this.d.keypair.publicKey, nonce, payload }, this.d.keypair.secretKey)
  }

  /** `preflight`: refuse it first (with the state transition's reason) when it would not apply on the committed state. */
  submit(kind: string, payload: Uint8Array, o: { preflight?: boolean } = {}): Promise<{ id: string; shard: number }> {
    if (o.preflight) {
      const shard = this.shardOf(kind, payload)
      const state = this.d.state(shard)
      const why = this.d.dryRun(state, this.sign(kind, payload, state.nonces.get(toHex(this.d.keypair.publicKey)) ?? 0))
      if (why) return Promise.reject(why)
    }
    return this.queue.run(() => this.submitNow(kind, payload))
  }

  /** the shard depends on the kind, the sender and the payload only: no need to sign for it */
  private shardOf(kind: string, payload: Uint8Array): number {
    const body = { chainId: this.d.genesis.chainId, kind, sender: this.d.keypair.publicKey, nonce: 0, payload }
    return shardOfTx({ body, sig: new Uint8Array(64) }, this.d.genesis.committees)
  }

  private async submitNow(kind: string, payload: Uint8Array): Promise<{ id: string; shard: number }> {
    const self = toHex(this.d.keypair.publicKey)
    const shard = this.shardOf(kind, payload)
    const line = this.lines.get(shard) ?? []
    const committed = this.d.state(shard).nonces.get(self) ?? 0
    const nonce = Math.max(committed, line.length ? line[line.length - 1]!.nonce + 1 : 0)
    const r = await this.d.submit(this.sign(kind, payload, nonce))
    line.push({ kind, payload, nonce, id: r.id, since: Date.now() })
    this.lines.set(shard, line)
    return r
  }

  /** After a commit on `shard`: forget what is done; re-sign the line when its head is doomed. */
  reconcile(shard: number, state: ShardState): void {
    void this.queue
      .run(async () => {
        const next = state.nonces.get(toHex(this.d.keypair.publicKey)) ?? 0
        const line = (this.lines.get(shard) ?? []).filter(o => o.nonce >= next)
        this.lines.set(shard, line)
        const head = line[0]
        if (!head) return
        let why =
          head.nonce === next
            ? this.d.dryRun(state, this.sign(head.kind, head.payload, head.nonce))
            : new DitenError(ErrorCode.TX_NONCE_GAP, `nonce ${head.nonce} is past ${next}`)
        const waitingForBlob = why?.code === ErrorCode.FL_BLOB_UNAVAILABLE && Date.now() - head.since <= BLOB_WAIT_MS
        if (why && (waitingForBlob || (why.code === ErrorCode.TX_NONCE_GAP && head.nonce === next))) why = undefined
        if (!why) return
        const rest = head.nonce === next ? line.slice(1) : line
        this.d.logger.info(
          { kind: head.kind, nonce: head.nonce, reason: describeError(why), resigned: rest.length },
          'own transaction can no longer apply: re-signing the ones behind it',
        )
        for (const o of line) this.d.mempools[shard]!.remove(o.id)
        if (head.nonce === next) this.d.dropped(head.id, why)
        this.lines.set(shard, [])
        for (const o of rest) {
          try {
            this.d.replaced(o.id, (await this.submitNow(o.kind, o.payload)).id)
          } catch (e) {
            this.d.logger.debug({ kind: o.kind, err: describeError(e) }, 'own transaction not re-submitted')
            this.d.dropped(o.id, e instanceof DitenError ? e : new DitenError(ErrorCode.TX_INVALID, describeError(e)))
          }
        }
      })
      .catch(() => undefined)
  }
}
