/**
 * Fault-injection switches of the twin and network families (DESIGN §10): loops that send
 * what a malicious member would send, straight to gossip or request/response, past this
 * node's own admission. The consensus, tangle and FL switches live where those rules run
 * (node/chain/shard.ts, node/tangle/service.ts, node/fl/attacks.ts).
 *
 *   forge-sync   twin.sync calls for other devices' twins, signed by keys that do not own them
 *   replay-sync  committed twin.sync calls sent again (stale sequence numbers)
 *   bad-patch    its own twin's device sends patches the definition refuses
 *   garbage      random bytes on every topic
 *   oversize     messages past each decoder's cap, and request frames past the request cap
 *   flood        a stream of signed transactions from keys that are not members
 *
 * Everything sent is counted (`chaos_status`), so a chaos run can check none of it landed.
 */
import { randomBytes } from 'node:crypto'
import { generateKeypair, signTx, toHex, txId, describeError, type Keypair, type SignedTx } from '../../ledger/index.js'
import { twinRegisterCodec, twinSyncCodec } from '../../twin/contract.js'
import { dataNote } from '../../consensus/state/txkinds.js'
import { TOPIC_NAMES } from '../p2p/topics.js'
import type { ChainService } from '../chain/service.js'
import type { Gossip } from '../p2p/gossip.js'
import type { ReqResp } from '../p2p/reqresp.js'
import type { MemberSet } from '../p2p/members.js'
import type { Host } from '../p2p/host.js'
import type { Logger } from '../logger.js'
import type { Behaviour } from './behaviours.js'

export const NODE_ATTACKS = ['forge-sync', 'replay-sync', 'bad-patch', 'garbage', 'oversize', 'flood'] as const
export type NodeAttack = (typeof NODE_ATTACKS)[number]

const MAX_KEPT_IDS = 2000

export interface AttackCounts {
  behaviours: string[]
  /** per behaviour: messages or transactions sent */
  sent: Record<string, number>
  /** ids of the forged and bad-patch transactions (newest last, at most 2,000); replays are
   *  copies of committed calls, checked by the sequence-number scan instead */
  txIds: string[]
}

interface Modules {
  chain: ChainService
  gossip: Gossip
  reqresp: ReqResp
  host: Host
  members: MemberSet
  keypair: Keypair
  logger: Logger
}

export class NodeAttacks {
  private readonly timers: NodeJS.Timeout[] = []
  private readonly sent: Record<string, number> = {}
  private readonly txIds: string[] = []
  private badDevice: { key: Keypair; twinId: string } | undefined

  constructor(
    private readonly behaviours: ReadonlySet<Behaviour>,
    private readonly m: Modules,
  ) {}

  start(): void {
    const every = (b: NodeAttack, ms: number, f: () => Promise<void> | void) => {
      if (!this.behaviours.has(b)) return
      const t = setInterval(() => {
        Promise.resolve()
          .then(f)
          .catch((e: unknown) => this.m.logger.debug({ behaviour: b, err: describeError(e) }, 'fault injection step failed'))
      }, ms)
      t.unref()
      this.timers.push(t)
    }
    every('forge-sync', 1000, () => this.forgeSyncs())
    every('replay-sync', 1000, () => this.replaySyncs())
    every('bad-patch', 1000, () => this.badPatches())
    every('garbage', 500, () => this.garbage())
    every('oversize', 2000, () => this.oversize())
    every('flood', 250, () => this.flood())
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t)
    this.timers.length = 0
  }

  counts(): AttackCounts {
    return {
      behaviours: [...this.behaviours].filter(b => (NODE_ATTACKS as readonly string[]).includes(b)),
      sent: { ...this.sent },
      txIds: [...this.txIds],
    }
  }

  private count(b: NodeAttack, n: number, txs: SignedTx[] = []): void {
    this.sent[b] = (this.sent[b] ?? 0) + n
    if (b !== 'replay-sync') for (const tx of txs) this.txIds.push(toHex(txId(tx.body)))
    if (this.txIds.length > MAX_KEPT_IDS) this.txIds.splice(0, this.txIds.length - MAX_KEPT_IDS)
  }

  private async publishTxs(b: NodeAttack, txs: SignedTx[]): Promise<void> {
    if (txs.length === 0) return
    this.count(b, txs.length, txs)
    await this.m.chain.publishTxs(txs)
  }

  /** Twins of other devices, signed by a fresh key (a forger) or by this member's key. */
  private async forgeSyncs(): Promise<void> {
    const chainId = this.m.chain.genesis.chainId
    const txs: SignedTx[] = []
    for (const s of this.m.chain.shards) {
      for (const t of [...s.state.twins.values()].filter(t => !t.retired).slice(0, 4)) {
        const forger = txs.length % 2 === 0 ? generateKeypair() : this.m.keypair
        const payload = twinSyncCodec.encode({ twinId: t.twinId, patch: '{"chaos":{"properties":{"forged":true}}}' })
        txs.push(
          signTx(
            { chainId, kind: 'twin.sync', sender: forger.publicKey, nonce: s.state.nonces.get(toHex(forger.publicKey)) ?? 0, payload },
            forger.secretKey,
          ),
        )
      }
    }
    await this.publishTxs('forge-sync', txs)
  }

  /** The twin.sync calls of the latest finalized blocks, sent again unchanged. */
  private async replaySyncs(): Promise<void> {
    const txs: SignedTx[] = []
    for (const s of this.m.chain.shards) {
      const head = s.state.height
      for (const f of await this.m.chain.store.range(s.shard, Math.max(1, head - 3), 4)) {
        txs.push(...f.block.txs.filter(tx => tx.body.kind === 'twin.sync').slice(0, 16))
      }
    }
    await this.publishTxs('replay-sync', txs)
  }

  /** Registers a twin of its own once, then its device sends patches the definition refuses. */
  private async badPatches(): Promise<void> {
    const chainId = this.m.chain.genesis.chainId
    if (!this.badDevice) {
      const key = generateKeypair()
      const twinId = `chaos:bad-patch-${toHex(key.publicKey).slice(0, 12)}`
      const definition = JSON.stringify({
        id: 'dtmi:chaos:meter;1',
        features: { state: { properties: { reading: { type: 'integer', minimum: 0 } } } },
      })
      await this.m.chain.submitOwn(
        'twin.register',
        twinRegisterCodec.encode({
          twinId,
          definition,
          owner: toHex(key.publicKey),
          attributes: '{}',
          features: '{"state":{"properties":{"reading":0}}}',
        }),
      )
      this.badDevice = { key, twinId }
      return
    }
    const { key, twinId } = this.badDevice
    const shard = this.m.chain.shards.find(s => s.state.twins.has(twinId))
    if (!shard) return // not registered yet
    const nonce = shard.state.nonces.get(toHex(key.publicKey)) ?? 0
    const patches = [
      '{"state":{"properties":{"reading":"high"}}}', // wrong type
      '{"state":{"properties":{"reading":-5}}}', // below the minimum
      '{"state":{"properties":{"undeclared":1}}}', // not in the definition
      '{"state":{"properties":{"reading":{"a":{"b":{"c":{"d":{"e":1}}}}}}}}', // too deep
    ]
    const txs = patches.map(patch =>
      signTx({ chainId, kind: 'twin.sync', sender: key.publicKey, nonce, payload: twinSyncCodec.encode({ twinId, patch }) }, key.secretKey),
    )
    await this.publishTxs('bad-patch', txs)
  }

  private async garbage(): Promise<void> {
    for (const name of TOPIC_NAMES) await this.m.gossip.publishRaw(name, randomBytes(1 + Math.floor(Math.random() * 2048)))
    this.count('garbage', TOPIC_NAMES.length)
  }

  /** Past the decoders' caps: 1 MiB on the status and tangle topics, 200 KiB requests. */
  private async oversize(): Promise<void> {
    await this.m.gossip.publishRaw('status', randomBytes(1024 * 1024))
    await this.m.gossip.publishRaw('tangle', randomBytes(1024 * 1024))
    let n = 2
    for (const peer of this.m.members.all()) {
      if (peer.peerId === this.m.host.peerId.toString() || this.m.host.getConnections(peer.id).length === 0) continue
      n++
      await this.m.reqresp.request(peer.id, 'blocks', randomBytes(200 * 1024), { timeoutMs: 2000 }).catch(() => undefined)
    }
    this.count('oversize', n)
  }

  /** 50 notes per 250 ms from keys that are not members, each correctly signed. */
  private async flood(): Promise<void> {
    const chainId = this.m.chain.genesis.chainId
    const txs = Array.from({ length: 50 }, (_, i) => {
      const k = generateKeypair()
      return signTx(
        { chainId, kind: dataNote.kind, sender: k.publicKey, nonce: 0, payload: dataNote.codec.encode({ text: `flood ${i}` }) },
        k.secretKey,
      )
    })
    this.count('flood', txs.length)
    await this.m.chain.publishTxs(txs)
  }
}
