/**
 * The load of a chaos run: twins registered by honest members, then devices sending signed
 * twin.sync calls to whichever honest node answers, like real devices would. Every call is
 * accounted for: committed, rejected with a reason code, or lost.
 *
 * A device has one call in flight. A node that does not answer is skipped and the same signed
 * call goes to another. A call accepted by a node that then dies before gossiping it is
 * unknown everywhere: like any wallet, the device sends the same signed call again (counted as
 * `resubmitted`); it is lost only if it is neither committed nor rejected at the end.
 */
import { generateKeypair, signTx, signedTxCodec, toHex, txId, type Keypair, type SignedTx } from '../../../ledger/index.js'
import { twinSyncCodec } from '../../../twin/contract.js'
import { RpcError } from '../../rpc/client.js'
import { sleep, type Cluster, type Member } from './cluster.js'

const DEFINITION = {
  id: 'dtmi:chaos:meter;1',
  features: { state: { properties: { reading: { type: 'integer', minimum: 0 }, seq: { type: 'integer', minimum: 0 } } } },
}
/** a call unknown to the node that took it for this long is sent again */
const RESUBMIT_AFTER_MS = 8000

interface Call {
  id: string
  tx: SignedTx
  device: number
  sentAt: number
  lastSeenAt: number
  node: string
}

export interface LoadReport {
  submitted: number
  committed: number
  rejected: Record<string, number>
  resubmitted: number
  lost: number
  lostIds: string[]
  /** call → commit, ms */
  p50Ms: number
  p99Ms: number
  /** ids of committed calls with the node that reported them (durability checks) */
  committedIds: string[]
}

export class TwinLoad {
  private readonly devices: { key: Keypair; twinId: string; seq: number; busy: boolean }[]
  private readonly pending = new Map<string, Call>()
  private readonly latencies: number[] = []
  private readonly rejected: Record<string, number> = {}
  private readonly committedIds: string[] = []
  private submitted = 0
  private resubmitted = 0
  private running = false
  private loop: Promise<void> | undefined
  private rr = 0
  private readonly inflight = new Set<Promise<void>>()

  constructor(
    private readonly cluster: Cluster,
    twins: number,
    private readonly rate: number,
    seed: number,
  ) {
    this.devices = Array.from({ length: twins }, (_, i) => ({
      key: generateKeypair(),
      twinId: `chaos:meter-${seed}-${i}`,
      seq: 0,
      busy: false,
    }))
  }

  /** Registers every twin through the honest members (round robin), then waits for the commits. */
  async register(timeoutMs = 120_000): Promise<void> {
    const until = Date.now() + timeoutMs
    const missing = new Set(this.devices.map((_, i) => i))
    while (missing.size > 0) {
      if (Date.now() > until) throw new Error(`${missing.size} of ${this.devices.length} twins not registered within ${timeoutMs} ms`)
      const hosts = this.cluster.reachable()
      await Promise.all(
        [...missing].map(async (i, k) => {
          const d = this.devices[i]!
          const host = hosts[k % hosts.length]!
          const known = await host.client.call('twin_get', { twinId: d.twinId }).then(
            () => true,
            () => false,
          )
          if (known) return void missing.delete(i)
          // refusals (TWIN_EXISTS: an earlier attempt landed) and timeouts are retried by the loop
          const admin = await host.admin().catch(() => undefined)
          await admin
            ?.call('twin_register', {
              twinId: d.twinId,
              definition: DEFINITION,
              owner: toHex(d.key.publicKey),
              features: { state: { properties: { reading: 0 } } },
            })
            .catch(() => undefined)
        }),
      )
      if (missing.size > 0) await sleep(500)
    }
  }

  start(chainId: string): void {
    this.running = true
    this.loop = this.run(chainId)
  }

  private nextNode(): Member | undefined {
    const up = this.cluster.reachable()
    if (up.length === 0) return undefined
    return up[this.rr++ % up.length]
  }

  private async run(chainId: string): Promise<void> {
    const t0 = Date.now()
    let offered = 0
    let lastPoll = 0
    while (this.running) {
      const due = Math.floor(((Date.now() - t0) / 1000) * this.rate)
      while (offered < due) {
        offered++
        const d = this.devices.findIndex(x => !x.busy)
        if (d < 0) break // every device is waiting for its previous call
        const dev = this.devices[d]!
        dev.busy = true
        const payload = twinSyncCodec.encode({
          twinId: dev.twinId,
          patch: JSON.stringify({ state: { properties: { reading: offered, seq: dev.seq } } }),
        })
        const tx = signTx({ chainId, kind: 'twin.sync', sender: dev.key.publicKey, nonce: dev.seq, payload }, dev.key.secretKey)
        this.submitted++
        this.track(this.send({ id: toHex(txId(tx.body)), tx, device: d, sentAt: Date.now(), lastSeenAt: Date.now(), node: '' }))
      }
      if (Date.now() - lastPoll > 500) {
        lastPoll = Date.now()
        await this.poll()
      }
      await sleep(20)
    }
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p)
    void p.finally(() => this.inflight.delete(p))
  }

  /** Sends a call to an honest node that answers; a refusal with a reason settles it. */
  private async send(c: Call): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const m = this.nextNode()
      if (!m) {
        await sleep(250)
        continue
      }
      try {
        await m.client.call('twin_sync', { tx: toHex(signedTxCodec.encode(c.tx)) })
        c.node = m.node.name
        c.lastSeenAt = Date.now()
        this.pending.set(c.id, c)
        return
      } catch (e) {
        if (e instanceof RpcError && e.reason === 'MEMPOOL_DUPLICATE') {
          this.pending.set(c.id, { ...c, node: m.node.name, lastSeenAt: Date.now() })
          return
        }
        if (e instanceof RpcError && e.reason === 'TWIN_STALE_SEQUENCE') {
          // a resent call whose first copy was committed meanwhile is committed, not rejected
          const st = await m.client.call<{ status: string }>('tx_get', { id: c.id }).catch(() => undefined)
          return this.settle(c, st?.status === 'committed' ? { committed: true } : { rejected: e.reason })
        }
        if (e instanceof RpcError && e.reason) return this.settle(c, { rejected: e.reason })
        await sleep(100) // unreachable: another node
      }
    }
    this.pending.set(c.id, c) // nobody took it: left pending, resubmitted by poll()
  }

  private settle(c: Call, r: { committed: true } | { rejected: string }): void {
    this.pending.delete(c.id)
    const dev = this.devices[c.device]!
    if ('committed' in r) {
      this.latencies.push(Date.now() - c.sentAt)
      this.committedIds.push(c.id)
      dev.seq = c.tx.body.nonce + 1
    } else {
      this.rejected[r.rejected] = (this.rejected[r.rejected] ?? 0) + 1
      // its sequence number is used (e.g. by an earlier copy of the same call): move on
      if (r.rejected === 'TWIN_STALE_SEQUENCE') dev.seq = Math.max(dev.seq, c.tx.body.nonce + 1)
    }
    dev.busy = false
  }

  /** Asks an honest node where each pending call is; resubmits calls nobody knows. */
  private async poll(): Promise<void> {
    const calls = [...this.pending.values()]
    for (let i = 0; i < calls.length; i += 100) {
      const slice = calls.slice(i, i + 100)
      const m = this.nextNode()
      if (!m) return
      const st = await Promise.all(
        slice.map(c => m.client.call<{ status: string; code?: string }>('tx_get', { id: c.id }).catch(() => undefined)),
      )
      slice.forEach((c, k) => {
        const s = st[k]
        if (!s) return
        if (s.status === 'committed') this.settle(c, { committed: true })
        else if (s.status === 'rejected') this.settle(c, { rejected: s.code ?? 'REJECTED' })
        else if (s.status === 'pending') c.lastSeenAt = Date.now()
        else if (Date.now() - c.lastSeenAt > RESUBMIT_AFTER_MS) {
          this.resubmitted++
          this.pending.delete(c.id)
          this.track(this.send({ ...c, lastSeenAt: Date.now() }))
        }
      })
    }
  }

  /** Stops offering, then polls until every call settles or `drainMs` passes. */
  async stop(drainMs: number): Promise<LoadReport> {
    this.running = false
    await this.loop
    await Promise.all([...this.inflight])
    const until = Date.now() + drainMs
    while ((this.pending.size > 0 || this.inflight.size > 0) && Date.now() < until) {
      await this.poll()
      await sleep(500)
    }
    const lat = [...this.latencies].sort((a, b) => a - b)
    const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]! : 0)
    const committed = this.latencies.length
    const rejected = Object.values(this.rejected).reduce((a, b) => a + b, 0)
    const lostIds = [...this.pending.keys()]
    return {
      submitted: this.submitted,
      committed,
      rejected: { ...this.rejected },
      resubmitted: this.resubmitted,
      lost: this.submitted - committed - rejected,
      lostIds,
      p50Ms: pct(50),
      p99Ms: pct(99),
      committedIds: [...this.committedIds],
    }
  }

  twinIds(): string[] {
    return this.devices.map(d => d.twinId)
  }
}
