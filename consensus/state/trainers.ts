/**
 * The trainer registry of the system shard (ledger/genesis/trainers.ts): every live trainer twin
 * with its host, device key and data, kept in step with the twin contract's register and retire.
 * A member's `dataSize` — the input of initial stake ([R2] eq. 6), Prop and the FL data rules —
 * is the sum of its live trainers' data (genesis checks it; a genesis without trainer twins, FL
 * off, declares a base instead): it moves by a trainer's data when one is registered or retires.
 */
import { isTrainerId } from '../../ledger/index.js'
import { trainerData } from '../../twin/trainer.js'
import type { TwinRecord } from '../../twin/record.js'
import type { TrainerEntry } from './fl-types.js'
import type { SystemState } from './state.js'

/** Applies a committed change of a twin on the system shard to the registry (no-op for other twins). */
export function noteTrainer(s: SystemState, t: TwinRecord): void {
  if (!isTrainerId(t.twinId)) return
  const at = s.trainers.findIndex(x => x.entry.twinId >= t.twinId)
  const here = at >= 0 && s.trainers[at]!.entry.twinId === t.twinId
  const data = trainerData(t)
  const m = s.members[t.host]
  if (data > 0 && !here) {
    s.trainers.splice(at < 0 ? s.trainers.length : at, 0, { host: t.host, entry: { twinId: t.twinId, owner: t.owner, dataSize: data } })
    if (m) m.dataSize += data
  } else if (data === 0 && here) {
    const [gone] = s.trainers.splice(at, 1)
    if (m) m.dataSize = Math.max(0, m.dataSize - gone!.entry.dataSize)
  }
}

/** The live trainers `member` hosts, by twin id. */
export function trainersOf(s: SystemState, member: number): TrainerEntry[] {
  return s.trainers.filter(x => x.host === member).map(x => ({ ...x.entry }))
}
