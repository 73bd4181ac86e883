/**
 * npm run bench:scale [-- --twins 10000,100000 --syncs 2000]
 * The per-height cost as the state grows: one process, the state transition and a real LevelDB,
 * no network. For each size N a shard state holding N twins (registered with twin.registerMany,
 * 400 per transaction, written to a fresh LevelDB) gets a block of `--syncs` device-signed
 * twin.sync calls on distinct twins: build (apply + state root), validate (apply again + state
 * root, as every committee member does) and commit (the changed keys, one synced batch, as a node
 * writes it). Then the state is loaded back from LevelDB as a restarting node does (start-up).
 * Signatures are verified once before the timing (the nodes cache verified ids), so the figures
 * are the state work. Prints ms per step, the ratio against the smallest N measured in the same
 * run, the keys a commit wrote, the load time and the process RSS.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createGenesis, defaultGenesisParams, generateKeypair, signTx, toHex, txId, type SignedTx } from '../ledger/index.js'
import { buildBlock, committeeFor, proposerOf, validateBlock } from '../consensus/blocks.js'
import { SigCache } from '../consensus/sigcache.js'
import { applyTx, checkTx, initialStates } from '../consensus/state/execute.js'
import { stateRoot } from '../consensus/state/state.js'
import { LevelStore } from '../node/db.js'
import { StateStore } from '../node/chain/state-store.js'
import { WriteBatch } from '../ledger/index.js'
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

const rows: { n: number; buildMs: number; validateMs: number; commitMs: number; loadMs: number; rssMb: number; nodeRssMb: number }[] = []
for (const n of sizes) {
  const t0 = performance.now()
  const state = stateWith(n)
  const dir = mkdtempSync(join(tmpdir(), 'diten-bench-scale-'))
  const db = await LevelStore.open(dir)
  const store = new StateStore(db)
  const all = new WriteBatch()
  store.write(all, state, undefined)
  await all.commit(db, { sync: true })
  const setupMs = performance.now() - t0
  // a node's committed state was hashed when its block was validated (or on the first block after start-up)
  const r0 = performance.now()
  stateRoot(state)
  const fullRootMs = performance.now() - r0
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
  const c0 = performance.now()
  const batch = new WriteBatch()
  store.write(batch, built.state, state)
  await batch.commit(db, { sync: true })
  const commitMs = performance.now() - c0
  ;(globalThis as { gc?: () => void }).gc?.()
  const { rss, heapUsed } = process.memoryUsage()
  const rssMb = rss / 2 ** 20
  await db.close()
  // a node restarting over this state: a fresh process loads it (its memory is what a node needs)
  const fresh = JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', fileURLToPath(new URL('./bench-scale-load.js', import.meta.url)), dir], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    }),
  ) as { root: string; loadMs: number; rootMs: number; rssMiB: number; heapUsedMiB: number; heapTotalMiB: number; arrayBuffersMiB: number }
  if (fresh.root !== toHex(built.block.header.stateRoot)) throw new Error('the state loaded back has another root')
  const loadMs = fresh.loadMs
  rmSync(dir, { recursive: true, force: true })
  rows.push({ n, buildMs, validateMs, commitMs, loadMs, rssMb, nodeRssMb: fresh.rssMiB })
  console.log(
    `  a node loading it: ${(fresh.loadMs / 1000).toFixed(1)} s + root ${(fresh.rootMs / 1000).toFixed(1)} s, RSS ${fresh.rssMiB} MiB (heap ${fresh.heapUsedMiB} MiB used of ${fresh.heapTotalMiB} MiB, array buffers ${fresh.arrayBuffersMiB} MiB)`,
  )
  console.log(
    `${n} twins (set up in ${(setupMs / 1000).toFixed(1)} s): build ${buildMs.toFixed(0)} ms, validate ${validateMs.toFixed(0)} ms, commit ${commitMs.toFixed(0)} ms (${batch.ops.length} keys), first root ${(fullRootMs / 1000).toFixed(1)} s, bench process RSS ${rssMb.toFixed(0)} MiB (heap ${(heapUsed / 2 ** 20).toFixed(0)} MiB); block ${toHex(txId(built.block.txs[0]!.body)).slice(0, 8)}… ${syncs} syncs`,
  )
}
const base = rows[0]!
const cost = (r: (typeof rows)[number]) => r.buildMs + r.validateMs + r.commitMs
console.log(`\nper-height cost (build + validate + commit) against ${base.n} twins, measured in this run:`)
for (const r of rows)
  console.log(
    `  ${String(r.n).padStart(8)} twins: ${cost(r).toFixed(0).padStart(6)} ms  ratio ${(cost(r) / cost(base)).toFixed(2)}  node start-up load ${(r.loadMs / 1000).toFixed(1)} s  node RSS ${r.nodeRssMb} MiB (bench process ${r.rssMb.toFixed(0)} MiB)`,
  )
console.log('  (target for 1M vs 10k: ratio ≤ 1.5, RSS ≤ 1.5 GB)')
