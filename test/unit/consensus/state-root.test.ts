/**
 * The incremental state root (twins and nonces in authenticated maps, consensus/state/state.ts)
 * over random blocks of twin registrations, syncs and retirements: after every block it equals the
 * root of the same content rebuilt from scratch, it does not depend on the order of independent
 * writes (syncs of different twins by different devices), and the changed keys a commit writes
 * (node/chain/state-store.ts) read back from LevelDB as the same state.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  WriteBatch,
  createGenesis,
  defaultGenesisParams,
  generateKeypair,
  signTx,
  toHex,
  type Keypair,
  type SignedTx,
} from '../../../ledger/index.js'
import { applyTx, checkTx, initialStates } from '../../../consensus/state/execute.js'
import { cloneState, metaOf, nonceMap, stateFromParts, stateRoot, twinMap, type ShardState } from '../../../consensus/state/state.js'
import { Roster } from '../../../consensus/roster.js'
import { twinRegisterCodec, twinRetireCodec, twinSyncCodec } from '../../../twin/contract.js'
import { LevelStore } from '../../../node/db.js'
import { StateStore } from '../../../node/chain/state-store.js'
import { seededRandom as rng } from '../../../ledger/tangle/rng.js'

const member = generateKeypair()
const genesis = createGenesis({
  genesisTime: 1,
  chainId: 'unit-root',
  params: defaultGenesisParams(),
  members: [member, generateKeypair()].map((k, i) => ({ name: `m${i}`, publicKey: toHex(k.publicKey), dataSize: 1 })),
})
const def = JSON.stringify({ id: 'dtmi:a:b;1', features: { s: { properties: { x: { type: 'integer' } } } } })
const tx = (kind: string, k: Keypair, nonce: number, payload: Uint8Array) =>
  signTx({ chainId: 'unit-root', kind, sender: k.publicKey, nonce, payload }, k.secretKey)

const dir = mkdtempSync(join(tmpdir(), 'diten-state-root-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the incremental state root', () => {
  it('equals a rebuild from scratch after random blocks, whatever the order of independent writes, and reads back from LevelDB', async () => {
    const r = rng(7)
    const apply = (s: ShardState, t: SignedTx, time: number) =>
      applyTx(s, t, checkTx(t, genesis).payload, { genesis, roster: Roster.ofGenesis(genesis), epoch: 0, time })
    const db = await LevelStore.open(join(dir, 'db'))
    const store = new StateStore(db)
    let state = initialStates(genesis)[0]!
    const first = new WriteBatch()
    store.write(first, state, undefined)
    await first.commit(db)
    const live = new Map<string, { device: Keypair; nonce: number }>()
    let memberNonce = 0
    let made = 0
    for (let height = 1; height <= 30; height++) {
      const parent = state
      const next = cloneState(parent)
      const syncs: SignedTx[] = []
      const touched = new Set<string>()
      for (let i = 0; i < 20; i++) {
        const ids = [...live.keys()]
        const pick = ids[Math.floor(r() * ids.length)]
        const roll = r()
        if (!pick || roll < 0.3) {
          const device = generateKeypair()
          const twinId = `t:${made++}`
          apply(
            next,
            tx(
              'twin.register',
              member,
              memberNonce++,
              twinRegisterCodec.encode({ twinId, definition: def, owner: toHex(device.publicKey), attributes: '{}', features: '{}' }),
            ),
            height,
          )
          live.set(twinId, { device, nonce: 0 })
        } else if (roll < 0.4 && !touched.has(pick)) {
          apply(next, tx('twin.retire', member, memberNonce++, twinRetireCodec.encode({ twinId: pick })), height)
          live.delete(pick)
        } else if (!touched.has(pick)) {
          // syncs of distinct twins by distinct devices: independent writes, applied in two orders below
          const d = live.get(pick)!
          touched.add(pick)
          syncs.push(
            tx(
              'twin.sync',
              d.device,
              d.nonce++,
              twinSyncCodec.encode({ twinId: pick, patch: `{"s":{"properties":{"x":${height * 100 + i}}}}` }),
            ),
          )
        }
      }
      const other = cloneState(next)
      for (const t of syncs) apply(next, t, height)
      for (const t of [...syncs].reverse()) apply(other, t, height)
      next.height = other.height = height
      const root = stateRoot(next)
      expect(toHex(stateRoot(other))).toBe(toHex(root))
      // the definition: the same content rebuilt from scratch
      const rebuilt = stateFromParts(metaOf(next), twinMap([...next.twins].sort(() => r() - 0.5)), nonceMap([...next.nonces]))
      expect(toHex(stateRoot(rebuilt))).toBe(toHex(root))
      // what a commit writes: only the changes, yet the stored state is the whole state
      const b = new WriteBatch()
      store.write(b, next, parent)
      expect(b.ops.length).toBeLessThanOrEqual(1 + 2 * 20 + 1)
      await b.commit(db)
      expect(toHex(stateRoot((await store.load(0))!))).toBe(toHex(root))
      state = next
    }
    expect(state.twins.size).toBeGreaterThan(50)
    await db.close()
  })
})
