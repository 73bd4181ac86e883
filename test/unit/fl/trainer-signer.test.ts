/**
 * "Trainer registered" as the tangle's validity rule: a local update counts only when its trainer
 * is a trainer twin its relaying member hosted when the round opened, it is signed by that twin's
 * owner (the trainer's device key), and it claims the twin's data size; a promotion is signed by
 * its member. Each refusal says why.
 */
import { describe, expect, it } from 'vitest'
import { generateKeypair, signTangleTx, toHex, type Keypair, type TangleTxBody } from '../../../ledger/index.js'
import { PROMOTE, UpdateValidity, type ValidityDeps } from '../../../node/fl/validity.js'
import type { FlState } from '../../../consensus/state/fl.js'
import type { SystemState } from '../../../consensus/state/state.js'

const member = generateKeypair()
const other = generateKeypair()
const device = generateKeypair()
const fl = {
  round: 1,
  model: 'aa'.repeat(32),
  closed: [],
  participants: [
    { member: 0, shard: 0, dataSize: 40, trainers: [{ twinId: 'trainer:t0', owner: toHex(device.publicKey), dataSize: 40 }] },
    { member: 1, shard: 0, dataSize: 10, trainers: [{ twinId: 'trainer:t1', owner: toHex(generateKeypair().publicKey), dataSize: 10 }] },
  ],
} as unknown as FlState
const sys = { members: [member, other].map(k => ({ publicKey: toHex(k.publicKey), removed: 0 })), fl } as unknown as SystemState
const reasons: string[] = []
const v = new UpdateValidity({
  m0: 'm0',
  fl: () => fl,
  system: () => sys,
  log: (_id: string, why: string) => reasons.push(why),
} as unknown as ValidityDeps)

function tx(signer: Keypair, over: Partial<TangleTxBody> = {}) {
  const body: TangleTxBody = {
    chainId: 'x',
    round: 1,
    trainer: 'trainer:t0',
    member: member.publicKey,
    signer: signer.publicKey,
    // the base model itself: an update that passes the identity rules is then refused as free riding
    modelHash: Uint8Array.from(Buffer.from(fl.model, 'hex')),
    dataSize: 40,
    claimedAccuracyBp: 5000,
    trunk: '00'.repeat(32),
    branch: '00'.repeat(32),
    time: 1,
    nonce: 0,
    ...over,
  }
  return signTangleTx(body, signer.secretKey)
}

describe('who may sign a local update', () => {
  it("only the trainer twin's owner, for a trainer its relaying member hosts, with the twin's data", async () => {
    const judge = async (t: ReturnType<typeof tx>) => {
      reasons.length = 0
      expect(await v.judge(t, 'id')).toBe(false)
      return reasons[0]
    }
    expect(await judge(tx(member))).toBe('not signed by the device key of trainer:t0')
    expect(await judge(tx(generateKeypair()))).toBe('not signed by the device key of trainer:t0')
    expect(await judge(tx(device, { trainer: 'trainer:t1' }))).toMatch(/trainer:t1 is not a trainer twin its relaying member hosted/)
    expect(await judge(tx(device, { trainer: 'trainer:t9' }))).toMatch(/trainer:t9 is not a trainer twin/)
    expect(await judge(tx(device, { member: other.publicKey }))).toMatch(/trainer:t0 is not a trainer twin its relaying member hosted/)
    expect(await judge(tx(device, { dataSize: 41 }))).toBe("dataSize 41 is not the 40 of trainer:t0's twin")
    // signed by the device, its member's trainer, the twin's data: past the identity rules
    expect(await judge(tx(device))).toBe('free riding: the update is the base model')
    // a promotion carries the base model and is signed by its member only
    expect(await v.judge(tx(member, { trainer: PROMOTE }), 'p')).toBe(true)
    expect(await judge(tx(device, { trainer: PROMOTE }))).toMatch(/a promotion is signed by its member/)
  })
})
