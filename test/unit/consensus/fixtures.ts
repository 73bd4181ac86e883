/** A 4-member genesis with keys, and helpers to sign transactions and certificates. */
import {
  createGenesis,
  defaultGenesisParams,
  generateKeypair,
  signTx,
  toHex,
  type Keypair,
  type Header,
  type SignedTx,
} from '../../../ledger/index.js'
import { dataNote, stakeVote } from '../../../consensus/state/txkinds.js'
import { initialStates } from '../../../consensus/state/execute.js'
import { SigCache } from '../../../consensus/sigcache.js'
import { buildBlock, proposerOf, type ChainView, type Committee } from '../../../consensus/blocks.js'
import type { Election } from '../../../consensus/state/state.js'

export function fixture(members = 4, committees = 1) {
  const keys: Keypair[] = Array.from({ length: members }, () => generateKeypair())
  const params = defaultGenesisParams()
  params.consensus.epochLength = 5
  const genesis = createGenesis({
    genesisTime: Date.now(),
    chainId: 'unit',
    params,
    committees,
    members: keys.map((k, i) => ({ name: `m${i}`, publicKey: toHex(k.publicKey), dataSize: 100 * (i + 1) })),
  })
  const states = initialStates(genesis)
  const elections = new Map<number, Election>(states[0]!.system!.elections.map(e => [e.epoch, e]))
  const headers = new Map<string, Header>()
  const view: ChainView = {
    genesis,
    sigCache: new SigCache(),
    election: e => elections.get(e),
    memberKey: i => keys[i]!.publicKey,
    header: (s, h) => headers.get(`${s}:${h}`),
    lastLinked: () => 0,
  }
  const nonces = new Map<number, number>()
  const note = (i: number, text = 'hi', nonce?: number): SignedTx => {
    const n = nonce ?? nonces.get(i) ?? 0
    if (nonce === undefined) nonces.set(i, n + 1)
    return signTx(
      { chainId: 'unit', kind: 'data.note', sender: keys[i]!.publicKey, nonce: n, payload: dataNote.codec.encode({ text }) },
      keys[i]!.secretKey,
    )
  }
  const vote = (i: number, candidates: string[], nonce: number): SignedTx =>
    signTx(
      { chainId: 'unit', kind: 'stake.vote', sender: keys[i]!.publicKey, nonce, payload: stakeVote.codec.encode({ candidates }) },
      keys[i]!.secretKey,
    )
  /** A height-1 block of `shard` (with its post-state), proposed by round 0's proposer of `committee`. */
  const firstBuilt = (
    committee: Committee,
    o: { shard?: number; time: number; candidates?: SignedTx[]; links?: Parameters<typeof buildBlock>[0]['links'] },
  ) =>
    buildBlock({
      view,
      state: states[o.shard ?? 0]!,
      prev: undefined,
      prevCommittee: undefined,
      lastCommit: undefined,
      committee,
      round: 0,
      proposer: keys[committee.members[proposerOf(committee, 0)]!]!.publicKey,
      time: o.time,
      candidates: o.candidates ?? [],
      links: o.links ?? [],
    })
  const firstBlock = (committee: Committee, o: Parameters<typeof firstBuilt>[1]) => firstBuilt(committee, o).block
  return { keys, genesis, states, view, elections, headers, note, vote, firstBuilt, firstBlock }
}
