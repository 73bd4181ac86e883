/**
 * The contract's rules for trainer twins (ledger/genesis/trainers.ts): a twin id in the `trainer`
 * namespace must carry the trainer definition and a positive integer `dataSize` attribute, and the
 * trainer definition is used by no other namespace, so every trainer is found on the system shard.
 * Attributes never change after registration, so a trainer's data size is fixed until it retires.
 */
import { DitenError, ErrorCode, MAX_TRAINER_DATA, TRAINER_DTMI, isTrainerId, type GenesisTrainer } from '../ledger/index.js'
import { canonicalJson, isObject, type Json } from './json.js'
import type { TwinDefinition } from './definition.js'
import type { TwinRecord } from './record.js'

/** The definition of every trainer twin (features are free: a trainer may report its training status). */
export const TRAINER_DEFINITION = {
  id: TRAINER_DTMI,
  attributes: { dataSize: { type: 'integer', minimum: 1, maximum: MAX_TRAINER_DATA } },
  features: { training: { properties: {}, additionalProperties: true } },
} as const

/** Refuses a registration that breaks the trainer rules (TWIN_BAD_DEFINITION naming the rule). */
export function checkTrainerRegistration(twinId: string, def: TwinDefinition, attributes: Json): void {
  const trainer = isTrainerId(twinId)
  if (trainer !== (def.id === TRAINER_DTMI))
    throw new DitenError(
      ErrorCode.TWIN_BAD_DEFINITION,
      trainer
        ? `a twin in the trainer namespace must have the definition ${TRAINER_DTMI}`
        : `the definition ${TRAINER_DTMI} is only for twins in the trainer namespace (trainer:<name>)`,
    )
  if (!trainer) return
  const n = isObject(attributes) ? attributes.dataSize : undefined
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_TRAINER_DATA)
    throw new DitenError(
      ErrorCode.TWIN_BAD_DEFINITION,
      `attributes.dataSize: a trainer declares its data, an integer in 1..${MAX_TRAINER_DATA}`,
    )
}

/** A trainer twin's registered data size (0 for a retired one or a twin that is not a trainer). */
export function trainerData(t: TwinRecord): number {
  if (t.retired || !isTrainerId(t.twinId)) return 0
  const a = JSON.parse(t.attributes) as { dataSize?: unknown }
  return typeof a.dataSize === 'number' ? a.dataSize : 0
}

/** The twin record of a trainer registered at genesis (revision 1 at the genesis time). */
export function genesisTrainerRecord(t: GenesisTrainer, host: number, time: number): TwinRecord {
  return {
    twinId: t.twinId,
    definition: canonicalJson(TRAINER_DEFINITION as unknown as Json),
    owner: t.owner,
    host,
    revision: 1,
    created: time,
    modified: time,
    attributes: canonicalJson({ dataSize: t.dataSize }),
    features: canonicalJson({}),
    retired: false,
  }
}
