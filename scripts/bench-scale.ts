/**
 * npm run bench:scale [-- --twins 10000,100000 --syncs 2000]
 * The per-height cost as the state grows ([5/8]): one process, the pure state transition, no
 * network. For each size N a shard state holding N twins (registered with twin.registerMany, 400
 * per transaction) gets a block of `--syncs` device-signed twin.sync calls on N distinct twins:
 * build (apply + state root), validate (apply again + state root, as every committee member does)
 * and the encoded state a commit writes. Signatures are verified once before the timing (the nodes
 * cache verified ids), so the figures are the state work. Prints ms per step, the ratio against the
 * smallest N measured in the same run, the encoded state size and the heap.
 */
import { parseArgs } from 'node:util'
import { createGenesis, defaultGenesisParams, generateKeypair, signTx, toHex, txId, type SignedTx } from '../ledger/index.js'
import { buildBlock, committeeFor, proposerOf, validateBlock } from '../consensus/blocks.js'
import { SigCache } from '../consensus/sigcache.js'
import { applyTx, checkTx, initialStates } from '../consensus/state/execute.js'
import { encodeState } from '../consensus/state/state.js'
import { Roster } from '../consensus/roster.js'
import { twinRegisterManyCodec, twinSyncCodec } from '../twin/contract.js'
import type { ChainView } from '../consensus/blocks.js'

const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: { twins: { type: 'string' }, syncs: { type: 'string' } },
})
const sizes = (values.twins ?? '10000,100000').split(',').map(Number)
const syncs = Number(values.syncs ?? 2000)
if (sizes.some(n => !(n >= syncs))) throw new Error(`every --twins size must be at least --syncs (${syncs})`)

const member = generateKeypair()
const params = defaultGenesisParams()
params.consensus.maxBlockTxs = Math.max(params.consensus.maxBlockTxs, syncs)
const genesis = createGenesis({
  genesisTime: Date.now(),
  chainId: 'bench-scale',
  params,
  members: [member, generateKeypair(), generateKeypair(), generateKeypair()].map((k, i) => ({
    name: `m${i}`,
    publicKey: toHex(k.publicKey),
    dataSize: 1,
  })),
})
const definition = JSON.stringify({ id: 'dtmi:bench:meter;1', features: { p: { properties: { kw: { type: 'number' } } } } })
const devices = Array.from({ length: syncs }, () => generateKeypair())
const sigCache = new SigCache()
const elections = initialStates(genesis)[0]!.system!.elections
const view: ChainView = {
  genesis,
  sigCache,
  election: e => elections.find(x => x.epoch === e),
  memberKey: () => member.publicKey,
  header: () => undefined,
  lastLinked: () => 0,
}
const ctx = { genesis, roster: Roster.ofGenesis(genesis), epoch: 0, time: 1 }

function stateWith(n: number) {
  const state = initialStates(genesis)[0]!
  let nonce = 0
  for (let from = 0; from < n; from += 400) {
    const twins = Array.from({ length: Math.min(400, n - from) }, (_, i) => ({
      twinId: `bench:m-${from + i}`,
      owner: toHex(devices[(from + i) % syncs]!.publicKey),
      attributes: '{}',
      features: '{"p":{"properties":{"kw":0}}}',
    }))
    const tx = signTx(
      {
        chainId: 'bench-scale',
        kind: 'twin.registerMany',
        sender: member.publicKey,
        nonce: nonce++,
        payload: twinRegisterManyCodec.encode({ definition, twins }),
      },
      member.secretKey,
    )
    applyTx(state, tx, checkTx(tx, genesis).payload, ctx)
  }
  state.events = []
  return state
}

function syncBlockTxs(round: number): SignedTx[] {
  return devices.map((d, i) =>
    signTx(
      {
        chainId: 'bench-scale',
        kind: 'twin.sync',
        sender: d.publicKey,
        nonce: round,
        payload: twinSyncCodec.encode({ twinId: `bench:m-${i}`, patch: `{"p":{"properties":{"kw":${round + i / 1000}}}}` }),
      },
      d.secretKey,
    ),
  )
}

const rows: { n: number; buildMs: number; validateMs: number; stateBytes: number; heapMb: number }[] = []
for (const n of sizes) {
  const t0 = performance.now()
  const state = stateWith(n)
  const setupMs = performance.now() - t0
  const txs = syncBlockTxs(0)
  for (const tx of txs) checkTx(tx, genesis, sigCache) // verified once, as the nodes' caches do
  const committee = committeeFor(view, 0, 1, undefined)!
  const proposer = committee.keys[proposerOf(committee, 0)]!
  const b0 = performance.now()
  const built = buildBlock({
    view,
    state,
    prev: undefined,
    prevCommittee: undefined,
    lastCommit: undefined,
    committee,
    round: 0,
    proposer,
    time: Date.now(),
    candidates: txs,
    links: [],
  })
  const buildMs = performance.now() - b0
  if (built.block.txs.length !== syncs)
    throw new Error(`only ${built.block.txs.length} of ${syncs} syncs went in: ${built.rejected[0]?.error.message}`)
  const v0 = performance.now()
  validateBlock({ view, block: built.block, state, prev: undefined, prevCommittee: undefined, committee })
  const validateMs = performance.now() - v0
  const stateBytes = encodeState(built.state).length
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20
  rows.push({ n, buildMs, validateMs, stateBytes, heapMb })
  console.log(
    `${n} twins (set up in ${(setupMs / 1000).toFixed(1)} s): build ${buildMs.toFixed(0)} ms, validate ${validateMs.toFixed(0)} ms, encoded state ${(stateBytes / 2 ** 20).toFixed(1)} MiB, heap ${heapMb.toFixed(0)} MiB; block ${toHex(txId(built.block.txs[0]!.body)).slice(0, 8)}… ${syncs} syncs`,
  )
}
const base = rows[0]!
console.log(`\nper-height cost (build + validate) against ${base.n} twins, measured in this run:`)
for (const r of rows)
  console.log(
    `  ${String(r.n).padStart(8)} twins: ${(r.buildMs + r.validateMs).toFixed(0).padStart(6)} ms  ratio ${((r.buildMs + r.validateMs) / (base.buildMs + base.validateMs)).toFixed(2)}  (target for 1M vs 10k: ≤ 1.5)`,
  )
