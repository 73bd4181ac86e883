/**
 * The chain's gossip topics (`tx`, `consensus`, `block`): the rules live in
 * consensus/validation/; this only decodes through their codecs, calls them and hands accepted
 * messages to the shards. Proposals and finalized blocks arrive compact: a message is relayed
 * only once this node holds every body of its block (so the next hop can fetch from it).
 */
import type { PeerId } from '@libp2p/interface'
import {
  DitenError,
  ErrorCode,
  GossipReason,
  compactFinalizedCodec,
  describeError,
  headerHash,
  ignore,
  toHex,
  type Block,
  type CompactBlock,
  type Genesis,
  type SignedTx,
} from '../../ledger/index.js'
import { committeeFor, type ChainView } from '../../consensus/blocks.js'
import type { SigCache } from '../../consensus/sigcache.js'
import { peekFinalized, validateFinalized, type BlockGossipContext } from '../../consensus/validation/block.js'
import { consensusMsgCodec, validateConsensusMsg } from '../../consensus/validation/consensus-msg.js'
import { checkRelayed, txBatchCodec } from '../../consensus/validation/tx.js'
import type { Roster } from '../../consensus/roster.js'
import type { Logger } from '../logger.js'
import type { Gossip } from '../p2p/gossip.js'
import type { ShardChain } from './shard.js'
import { MAX_FUTURE_HEIGHTS } from './future-buffer.js'
import type { Member } from '../p2p/members.js'

/** transactions of a batch verified between two yields to the event loop */
const TX_VERIFY_SLICE = 32

export interface ChainGossipDeps {
  genesis: Genesis
  view: ChainView
  sigCache: SigCache
  shards: readonly ShardChain[]
  /** a current member's key (hex) */
  isMember(key: string): boolean
  /** the roster of a shard's current epoch (who may send member-only kinds there) */
  roster(shard: number): Roster
  /** admits a relayed transaction to the pool (throws when the pool refuses it) */
  admit(tx: SignedTx): void
  /** a certified block from ahead: catch up from the peer that relayed it */
  catchUp(shard: number, source: PeerId): void
  /** the whole block of a compact one, bodies fetched from `peers` in turn (throws BLOCK_NOT_YET) */
  expand(cb: CompactBlock, peers: PeerId[]): Promise<Block>
  gossip: Gossip
  logger: Logger
}

export function registerChainGossip(d: ChainGossipDeps): void {
  const g = d.genesis
  const shard = (s: number) => d.shards[s]!
  /** whole blocks of the compact ones accepted, from validation to delivery */
  const whole = new WeakMap<CompactBlock, Block>()
  const expand = async (cb: CompactBlock, author: Member, source: PeerId | undefined) => {
    try {
      const held = shard(cb.header.shard).heldBlock(toHex(headerHash(cb.header)))
      whole.set(cb, held ?? (await d.expand(cb, source ? [source, author.id] : [author.id])))
    } catch (e) {
      // IGNORE: bodies nobody could give us (not relayed; the sender may be honest and slow)
      if (e instanceof DitenError && e.code === ErrorCode.BLOCK_NOT_YET) ignore(GossipReason.BODIES_MISSING, describeError(e))
      throw e
    }
  }
  d.gossip.register({
    name: 'tx',
    codec: txBatchCodec,
    validate: async batch => {
      // verify in slices, yielding between them, so votes and proposals are not stuck behind a big batch
      for (let i = 0; i < batch.length; i++) {
        if (i > 0 && i % TX_VERIFY_SLICE === 0) await new Promise(r => setImmediate(r))
        checkRelayed(batch[i]!, g, d.sigCache, s => ({ state: shard(s).state, roster: d.roster(s) }), Date.now())
      }
    },
    onMessage: batch => {
      for (const tx of batch) {
        try {
          d.admit(tx)
        } catch {
          // already pending, already committed or a full pool: normal under load
        }
      }
    },
  })
  d.gossip.register({
    name: 'consensus',
    codec: consensusMsgCodec,
    validate: async (m, author, source) => {
      validateConsensusMsg(m, { genesis: g, isMember: d.isMember, shard })
      // a proposal this node would not buffer (too far ahead) is relayed without its bodies
      if (m.proposal && m.proposal.stub.height <= shard(m.proposal.stub.shard).height + MAX_FUTURE_HEIGHTS)
        await expand(m.proposal.block, author, source)
    },
    onMessage: m => {
      if (m.proposal) {
        const block = whole.get(m.proposal.block)
        if (block) shard(m.proposal.stub.shard).onProposal({ stub: m.proposal.stub, sig: m.proposal.sig, block })
      } else shard(m.vote!.vote.shard).onVote(m.vote!)
    },
  })
  const blocks: BlockGossipContext = {
    genesis: g,
    shard,
    nextCommittee: (s, height) => (height === shard(s).height ? committeeFor(d.view, s, height, shard(s).head) : undefined),
  }
  d.gossip.register({
    name: 'block',
    codec: compactFinalizedCodec,
    peek: data => peekFinalized(data, blocks),
    validate: async (f, author, source) => {
      validateFinalized(f, blocks)
      // a block from ahead is not applied here (catch-up fetches whole blocks): no need for its bodies
      if (f.block.header.height === shard(f.block.header.shard).height) await expand(f.block, author, source)
    },
    onMessage: (f, _author, source) => {
      const h = f.block.header
      const block = whole.get(f.block)
      if (!block) {
        if (h.height > shard(h.shard).height) d.catchUp(h.shard, source)
        return
      }
      shard(h.shard)
        .applyFinalized({ block, cert: f.cert })
        .then(
          r => {
            if (r === 'ahead') d.catchUp(h.shard, source)
          },
          (e: unknown) => {
            // not yet judgeable here (another shard's header, a blob) or shutting down: catch-up fetches it later
            const later = e instanceof DitenError && (e.code === ErrorCode.BLOCK_NOT_YET || e.code === ErrorCode.SYNC_FAILED)
            d.logger[later ? 'debug' : 'warn']({ shard: h.shard, height: h.height, err: describeError(e) }, 'finalized block refused')
          },
        )
    },
  })
}
