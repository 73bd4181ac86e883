/**
 * The twin contract (DESIGN §8): deterministic state changes of twin records, run when the
 * block holding the call commits. Every rule is checked before anything changes; a refused call
 * throws a DitenError with a TWIN_* code and leaves the twins as they were.
 *
 *   twin.registerMany (a member)      up to MAX_BULK_TWINS twins of one definition, each checked as by
 *                                      twin.register; all or none (the refusal names the twin)
 *   twin.register   (a member)        creates the record; TWIN_EXISTS if the id is taken; a trainer
 *                                      (trainer:<name>) needs the trainer definition and its dataSize
 *   twin.sync       (the owner device) JSON merge patch (RFC 7396) on features[*].properties;
 *                                      optional ifRevision (TWIN_REVISION_MISMATCH, like 412)
 *   twin.setDesired (host member or owner) merge patch on features[*].desiredProperties (writable only)
 *   twin.bindModel  (host member)      binds the global model M(round) and its input paths
 *                                      (TWIN_MODEL_MISMATCH when the hash is not M(round) on the shard)
 *   followModel     (no call: the rule) when the twin's shard learns that round e closed, every twin
 *                                      whose definition names the FL task gets M(e) bound
 *                                      (and at register, the newest M(e) the shard knows)
 *   twin.retire     (host member or owner) no further changes (TWIN_RETIRED)
 * The sequence number of a device is its transaction nonce on the twin's shard (stale or
 * duplicate → TWIN_STALE_SEQUENCE). After each change the bound model, if any, predicts from
 * the new state.
 */
import {
  DitenError,
  ErrorCode,
  SchemaError,
  array,
  assertPublicKey,
  defineCodec,
  fromHex,
  hex,
  optional,
  str,
  struct,
  u53,
  shortId,
} from '../ledger/index.js'
import { checkAttributes, checkFeatures, parseDefinition, type TwinDefinition } from './definition.js'
import { canonicalJson, isObject, mergePatch, parseJson, type Json } from './json.js'
import { inputsOf, predict, type DenseSpec } from './infer.js'
import { twinIdType, twinRecordType, type TwinEvent, type TwinRecord } from './record.js'
import { checkTrainerRegistration } from './trainer.js'

const json = (max: number) => str({ min: 2, max })
export const twinRegisterCodec = defineCodec(
  'twin.register',
  struct({ twinId: twinIdType, definition: json(32 * 1024), owner: hex(32), attributes: json(32 * 1024), features: json(32 * 1024) }),
  100 * 1024,
)
export const twinSyncCodec = defineCodec(
  'twin.sync',
  struct({ twinId: twinIdType, patch: json(16 * 1024), ifRevision: optional(u53) }),
  17 * 1024,
)
export const twinSetDesiredCodec = defineCodec(
  'twin.setDesired',
  struct({ twinId: twinIdType, patch: json(16 * 1024), ifRevision: optional(u53) }),
  17 * 1024,
)
export const twinBindModelCodec = defineCodec(
  'twin.bindModel',
  struct({ twinId: twinIdType, modelHash: hex(32), round: u53, inputs: array(str({ min: 1, max: 256 }), { min: 1, max: 1024 }) }),
  300 * 1024,
)
export const twinRetireCodec = defineCodec('twin.retire', struct({ twinId: twinIdType }), 256)
/** the most twins one twin.registerMany may carry (the payload cap of a transaction, 64 KiB, usually binds first) */
export const MAX_BULK_TWINS = 1000
export const twinRegisterManyCodec = defineCodec(
  'twin.registerMany',
  struct({
    definition: json(32 * 1024),
    twins: array(struct({ twinId: twinIdType, owner: hex(32), attributes: json(32 * 1024), features: json(32 * 1024) }), {
      min: 1,
      max: MAX_BULK_TWINS,
    }),
  }),
  64 * 1024,
)
export type RegisterManyPayload = Parameters<typeof twinRegisterManyCodec.encode>[0]

export interface TwinCall {
  /** sender key (hex) and, when the sender is a member, its index */
  sender: string
  member: number
  time: number
  txId: string
  /** the behaviour models' shape (genesis FL model) and their weights by hash */
  model: DenseSpec
  weights(hash: string): Float32Array
  /** the global model M(round) as this shard knows it (undefined: not known here) */
  globalModel(round: number): string | undefined
  /** the newest global model M(e), e ≥ 1, this shard knows */
  latestModel(): { round: number; hash: string } | undefined
}

const definitions = new Map<string, TwinDefinition>()
/** Parsed definitions are cached by their canonical text (a pure function of it). */
export function definitionOf(t: TwinRecord): TwinDefinition {
  let d = definitions.get(t.definition)
  if (!d) {
    d = parseDefinition(JSON.parse(t.definition) as Json)
    if (definitions.size > 10_000) definitions.clear()
    definitions.set(t.definition, d)
  }
  return d
}

function refuse(code: ErrorCode, message: string): never {
  throw new DitenError(code, message)
}

function existing(twins: ReadonlyMap<string, TwinRecord>, twinId: string): TwinRecord {
  const t = twins.get(twinId)
  if (!t) refuse(ErrorCode.TWIN_UNKNOWN, `no twin ${twinId}`)
  if (t.retired) refuse(ErrorCode.TWIN_RETIRED, `twin ${twinId} is retired`)
  return t
}

function checkRevision(t: TwinRecord, ifRevision: number | undefined): void {
  if (ifRevision !== undefined && ifRevision !== t.revision)
    refuse(ErrorCode.TWIN_REVISION_MISMATCH, `ifRevision ${ifRevision} does not match revision ${t.revision} of ${t.twinId}`)
}

/**
 * A record the state will hold must be schema-valid here, where it is computed: a value the state
 * cannot encode (a NaN score, an oversized document) refuses this call alone instead of failing
 * the state root of every block that holds it.
 */
function valid(r: TwinRecord): TwinRecord {
  try {
    twinRecordType.check(r, 'twin')
  } catch (e) {
    if (e instanceof SchemaError) refuse(ErrorCode.TWIN_BAD_PATCH, `the change would leave an invalid record: ${e.message}`)
    throw e
  }
  return r
}

/** The record after a change: next revision, new time, and the bound model's prediction. */
function next(t: TwinRecord, change: Partial<TwinRecord>, c: TwinCall): TwinRecord {
  const r: TwinRecord = { ...t, ...change, revision: t.revision + 1, modified: c.time }
  if (r.model) {
    const p = predict(c.model, c.weights(r.model.hash), inputsOf(JSON.parse(r.features) as Json, r.model.inputs, c.model.layers[0]!))
    r.model = { ...r.model, label: p.label, scores: p.scores }
  }
  return valid(r)
}

function event(r: TwinRecord, kind: TwinEvent['kind'], change: Json, c: TwinCall): Omit<TwinEvent, 'shard' | 'height' | 'record'> {
  return { twinId: r.twinId, revision: r.revision, kind, change: canonicalJson(change), time: c.time, txId: c.txId }
}

/** A patch of features that may touch only `properties` (sync) or only `desiredProperties`. */
function featurePatch(text: string, part: 'properties' | 'desiredProperties'): Json {
  const patch = parseJson(text, 'patch', 16)
  if (!isObject(patch)) refuse(ErrorCode.TWIN_BAD_PATCH, 'patch: expected an object of features')
  for (const [f, v] of Object.entries(patch)) {
    if (v === null)
      refuse(ErrorCode.TWIN_BAD_PATCH, `patch.${f}: a feature cannot be deleted by a ${part === 'properties' ? 'sync' : 'desired'} patch`)
    if (!isObject(v) || Object.keys(v).some(k => k !== part)) refuse(ErrorCode.TWIN_BAD_PATCH, `patch.${f}: expected { "${part}": { … } }`)
  }
  return patch
}

export type TwinResult = { record: TwinRecord; event: Omit<TwinEvent, 'shard' | 'height' | 'record'> }

export function register(
  twins: Pick<ReadonlyMap<string, TwinRecord>, 'has'>,
  p: { twinId: string; definition: string; owner: string; attributes: string; features: string },
  c: TwinCall,
): TwinResult {
  if (c.member < 0) refuse(ErrorCode.TWIN_NOT_OWNER, 'only a member registers twins')
  if (twins.has(p.twinId)) refuse(ErrorCode.TWIN_EXISTS, `twin ${p.twinId} already exists`)
  assertPublicKey(fromHex(p.owner), 'owner')
  const defJson = parseJson(p.definition, 'definition', 16)
  const def = parseDefinition(defJson)
  const attributes = parseJson(p.attributes, 'attributes', 16)
  const features = parseJson(p.features, 'features', 16)
  checkAttributes(def, attributes)
  checkFeatures(def, features)
  checkTrainerRegistration(p.twinId, def, attributes)
  const record: TwinRecord = {
    twinId: p.twinId,
    definition: canonicalJson(defJson),
    owner: p.owner,
    host: c.member,
    revision: 1,
    created: c.time,
    modified: c.time,
    attributes: canonicalJson(attributes),
    features: canonicalJson(features),
    retired: false,
  }
  // a twin of the FL task starts with the newest global model
  const latest = def.model ? c.latestModel() : undefined
  if (def.model && latest) {
    const p0 = predict(c.model, c.weights(latest.hash), inputsOf(features, def.model.inputs, c.model.layers[0]!))
    record.model = { hash: latest.hash, round: latest.round, inputs: def.model.inputs, label: p0.label, scores: p0.scores }
  }
  valid(record)
  return { record, event: event(record, 'register', { definition: def.id, owner: p.owner, attributes, features }, c) }
}

/** Registers every twin of a fleet with one definition: each one checked as by `register` (a repeated id included), all or none. */
export function registerMany(twins: ReadonlyMap<string, TwinRecord>, p: RegisterManyPayload, c: TwinCall): TwinResult[] {
  const made = new Map<string, TwinRecord>()
  const view = { has: (id: string) => made.has(id) || twins.has(id) }
  return p.twins.map((t, i) => {
    try {
      const r = register(view, { ...t, definition: p.definition }, c)
      made.set(t.twinId, r.record)
      return r
    } catch (e) {
      if (e instanceof DitenError) throw new DitenError(e.code, `twins[${i}] ${t.twinId}: ${e.message}`, e.meta)
      throw e
    }
  })
}

/**
 * Merged features by (record, part, patch): a call's patch is worked out when a node admits it,
 * again when the gossip relay rule checks it and when a block holding it is built or validated,
 * each time against the same record object (records are never mutated; a change makes a new
 * one). The result is a pure function of the record's definition and features and the patch (a
 * refusal too), so it is kept with the record and dropped with it.
 */
type Merged = { features: string; change: string } | { error: DitenError }
const merges = new WeakMap<TwinRecord, Map<string, Merged>>()

function merged(t: TwinRecord, patchText: string, part: 'properties' | 'desiredProperties'): { features: string; change: string } {
  let byPatch = merges.get(t)
  if (!byPatch) {
    byPatch = new Map()
    merges.set(t, byPatch)
  }
  const key = part + patchText
  let m = byPatch.get(key)
  if (!m) {
    try {
      const patch = featurePatch(patchText, part)
      const features = mergePatch(JSON.parse(t.features) as Json, patch)
      checkFeatures(definitionOf(t), features)
      m = { features: canonicalJson(features), change: canonicalJson(patch) }
    } catch (e) {
      if (!(e instanceof DitenError)) throw e
      m = { error: e }
    }
    if (byPatch.size < 64) byPatch.set(key, m)
  }
  if ('error' in m) throw new DitenError(m.error.code, m.error.message, m.error.meta)
  return m
}

/** A merge patch of one part of the features, checked against the definition as a whole. */
function patchFeatures(
  t: TwinRecord,
  p: { patch: string; ifRevision?: number },
  part: 'properties' | 'desiredProperties',
  kind: 'sync' | 'setDesired',
  c: TwinCall,
): TwinResult {
  checkRevision(t, p.ifRevision)
  const m = merged(t, p.patch, part)
  const record = next(t, { features: m.features }, c)
  return { record, event: { twinId: record.twinId, revision: record.revision, kind, change: m.change, time: c.time, txId: c.txId } }
}

export function sync(
  twins: ReadonlyMap<string, TwinRecord>,
  p: { twinId: string; patch: string; ifRevision?: number },
  c: TwinCall,
): TwinResult {
  const t = existing(twins, p.twinId)
  if (c.sender !== t.owner) refuse(ErrorCode.TWIN_NOT_OWNER, `only the device ${shortId(t.owner)}… syncs ${t.twinId}`)
  return patchFeatures(t, p, 'properties', 'sync', c)
}

export function setDesired(
  twins: ReadonlyMap<string, TwinRecord>,
  p: { twinId: string; patch: string; ifRevision?: number },
  c: TwinCall,
): TwinResult {
  const t = existing(twins, p.twinId)
  if (c.sender !== t.owner && c.member !== t.host)
    refuse(ErrorCode.TWIN_NOT_OWNER, `only the owner device or the host member sets desired values of ${t.twinId}`)
  return patchFeatures(t, p, 'desiredProperties', 'setDesired', c)
}

export function bindModel(
  twins: ReadonlyMap<string, TwinRecord>,
  p: { twinId: string; modelHash: string; round: number; inputs: string[] },
  c: TwinCall,
): TwinResult {
  const t = existing(twins, p.twinId)
  if (c.member !== t.host) refuse(ErrorCode.TWIN_NOT_OWNER, `only the host member binds a model to ${t.twinId}`)
  const m = c.globalModel(p.round)
  if (m !== p.modelHash)
    refuse(
      ErrorCode.TWIN_MODEL_MISMATCH,
      m ? `${shortId(p.modelHash)}… is not M(${p.round}) (${shortId(m)}…)` : `M(${p.round}) is not known on this twin's shard`,
    )
  c.weights(p.modelHash) // the blob must exist and have the model's shape (throws otherwise)
  const record = next(t, { model: { hash: p.modelHash, round: p.round, inputs: p.inputs, label: -1, scores: [] } }, c)
  return { record, event: event(record, 'bindModel', { modelHash: p.modelHash, round: p.round, inputs: p.inputs }, c) }
}

/**
 * The rule that makes behaviour models follow the rounds: M(round) (hash) is bound to every live
 * twin whose definition names the FL task, in twin-id order, each a change with its revision and
 * a fresh prediction. No call and no sender: the shard runs it when it learns the round closed.
 */
export function followModel(twins: ReadonlyMap<string, TwinRecord>, m: { round: number; hash: string }, c: TwinCall): TwinResult[] {
  const out: TwinResult[] = []
  const ids = [...twins.keys()].sort()
  for (const id of ids) {
    const t = twins.get(id)!
    const def = t.retired ? undefined : definitionOf(t).model
    if (!def || (t.model?.hash === m.hash && t.model.round === m.round)) continue
    try {
      const record = next(t, { model: { hash: m.hash, round: m.round, inputs: def.inputs, label: -1, scores: [] } }, c)
      out.push({ record, event: event(record, 'bindModel', { modelHash: m.hash, round: m.round, inputs: def.inputs, auto: true }, c) })
    } catch (e) {
      // a twin the model cannot apply to keeps its model (the same outcome on every node); the block goes on
      if (!(e instanceof DitenError)) throw e
    }
  }
  return out
}

export function retire(twins: ReadonlyMap<string, TwinRecord>, p: { twinId: string }, c: TwinCall): TwinResult {
  const t = existing(twins, p.twinId)
  if (c.sender !== t.owner && c.member !== t.host)
    refuse(ErrorCode.TWIN_NOT_OWNER, `only the owner device or the host member retires ${t.twinId}`)
  const record = { ...t, revision: t.revision + 1, modified: c.time, retired: true }
  return { record, event: event(record, 'retire', {}, c) }
}
