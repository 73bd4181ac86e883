/**
 * Trainers (cluster heads) are twins: `trainer:<name>`, registered by the member that hosts them,
 * owned by the trainer's device key (it signs the trainer's local updates on the tangle), with its
 * data size as an attribute. The namespace is reserved and routed to the system shard, because the
 * rules that read the data (initial stake, Prop, the FL participants and their data) live there.
 * Genesis may register the first trainers; members add and retire them with twin calls.
 */
import { hex, int, str, struct, type Infer } from '../schema.js'

export const TRAINER_NAMESPACE = 'trainer'
/** the definition id of every trainer twin */
export const TRAINER_DTMI = 'dtmi:diten:trainer;1'
/** the most data one trainer may declare (samples) */
export const MAX_TRAINER_DATA = 1_000_000_000_000

export function isTrainerId(twinId: string): boolean {
  return twinId.startsWith(`${TRAINER_NAMESPACE}:`)
}

export const genesisTrainerType = struct({
  /** `trainer:<name>` */
  twinId: str({ min: 9, max: 193, pattern: /^trainer:[A-Za-z0-9_.:@-]{1,128}$/, format: 'a trainer twin id "trainer:<name>"' }),
  /** the trainer's device key: it signs the trainer's local updates */
  owner: hex(32),
  /** the name of the member that hosts it */
  host: str({ min: 1, max: 32 }),
  /** D_j: the samples it trains on */
  dataSize: int({ min: 1, max: MAX_TRAINER_DATA }),
})
export type GenesisTrainer = Infer<typeof genesisTrainerType>
