/**
 * Twin definitions: a small DTDL-like schema language (DESIGN §8) checked on every patch.
 *
 *   { "id": "dtmi:acme:pump;1",
 *     "attributes": { "<name>": <property> },                 (static data, set at register)
 *     "features": { "<feature>": { "properties": { "<name>": <property> }, "additionalProperties"?: true } },
 *     "model"?: { "task": "fl", "inputs": [ "<feature>.properties.<name>…", … ] } }
 *   "model" names the chain's federated-learning task: every global model M(e) is bound to the
 *   twin when round e closes (the contract's followModel), predicting from the listed inputs.
 *   <property> = { "type": "number" | "integer" | "boolean" | "string" | "object",
 *                  "unit"?: string, "writable"?: boolean (desired values may be set),
 *                  "minimum"?, "maximum"? (numbers), "maxLength"? (strings),
 *                  "properties"?: { "<name>": <property> } (objects) }
 *
 * Objects nest at most MAX_DEPTH levels below a feature. A document is checked as a whole after
 * a patch is merged: undeclared features or properties, wrong types, out-of-range values, too
 * deep or too large → TWIN_BAD_PATCH naming the path; in desired properties only writable ones.
 */
import { DitenError, ErrorCode } from '../ledger/index.js'
import { RESERVED_KEYS, canonicalJson, depthOf, isObject, own, type Json, type JsonObject } from './json.js'

export const MAX_DEPTH = 5
export const MAX_DOC_BYTES = 64 * 1024
const TYPES = ['number', 'integer', 'boolean', 'string', 'object'] as const

export interface PropertySchema {
  type: (typeof TYPES)[number]
  unit?: string
  writable?: boolean
  minimum?: number
  maximum?: number
  maxLength?: number
  properties?: Record<string, PropertySchema>
}

export interface TwinDefinition {
  id: string
  attributes: Record<string, PropertySchema>
  /** additionalProperties: undeclared properties of any JSON type are allowed (nesting still bounded) */
  features: Record<string, { properties: Record<string, PropertySchema>; additionalProperties: boolean }>
  /** the behaviour model follows the FL task's global model, reading these input paths */
  model?: { task: 'fl'; inputs: string[] }
}

/** the most input paths a behaviour model reads (its first layer's width is at most this) */
export const MAX_MODEL_INPUTS = 1024
const INPUT_PATH = /^[A-Za-z_][A-Za-z0-9_-]{0,63}\.properties(\.[A-Za-z_][A-Za-z0-9_-]{0,63}){1,5}$/

function checkModel(v: Json): { task: 'fl'; inputs: string[] } {
  const at = 'definition.model'
  if (!isObject(v) || Object.keys(v).some(k => k !== 'task' && k !== 'inputs'))
    bad(ErrorCode.TWIN_BAD_DEFINITION, at, 'expected { "task": "fl", "inputs": [ "<feature>.properties.<name>", … ] }')
  if (v.task !== 'fl') bad(ErrorCode.TWIN_BAD_DEFINITION, `${at}.task`, 'the only task is "fl" (the chain\'s federated-learning task)')
  const inputs = v.inputs
  if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > MAX_MODEL_INPUTS)
    bad(ErrorCode.TWIN_BAD_DEFINITION, `${at}.inputs`, `expected 1 to ${MAX_MODEL_INPUTS} input paths`)
  inputs.forEach((p, i) => {
    if (typeof p !== 'string' || !INPUT_PATH.test(p))
      bad(ErrorCode.TWIN_BAD_DEFINITION, `${at}.inputs[${i}]`, 'expected a path such as "pixels.properties.p0"')
  })
  return { task: 'fl', inputs: inputs as string[] }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/
const DTMI = /^dtmi:[A-Za-z][A-Za-z0-9_]*(:[A-Za-z][A-Za-z0-9_]*)*;[1-9][0-9]{0,8}$/

function bad(code: ErrorCode, path: string, why: string): never {
  throw new DitenError(code, `${path}: ${why}`, { path })
}

function checkProperties(v: unknown, path: string, depth: number): Record<string, PropertySchema> {
  if (!isObject(v)) bad(ErrorCode.TWIN_BAD_DEFINITION, path, 'expected an object of properties')
  const out: Record<string, PropertySchema> = Object.create(null) as Record<string, PropertySchema>
  for (const [name, p] of Object.entries(v)) {
    const at = `${path}.${name}`
    if (!NAME.test(name) || RESERVED_KEYS.has(name))
      bad(ErrorCode.TWIN_BAD_DEFINITION, at, 'a property name is a letter or _ then up to 63 letters, digits, _ or - (not __proto__)')
    if (!isObject(p)) bad(ErrorCode.TWIN_BAD_DEFINITION, at, 'expected a property schema object')
    const known = new Set(['type', 'unit', 'writable', 'minimum', 'maximum', 'maxLength', 'properties', 'description'])
    for (const k of Object.keys(p)) if (!known.has(k)) bad(ErrorCode.TWIN_BAD_DEFINITION, `${at}.${k}`, 'unknown schema key')
    if (!(TYPES as readonly Json[]).includes(p.type ?? null))
      bad(ErrorCode.TWIN_BAD_DEFINITION, `${at}.type`, `expected one of ${TYPES.join(', ')}`)
    const s: PropertySchema = { type: p.type as PropertySchema['type'] }
    if (p.unit !== undefined)
      s.unit =
        typeof p.unit === 'string' && p.unit.length <= 32
          ? p.unit
          : bad(ErrorCode.TWIN_BAD_DEFINITION, `${at}.unit`, 'expected a string of ≤ 32 characters')
    if (p.writable !== undefined)
      s.writable =
        typeof p.writable === 'boolean' ? p.writable : bad(ErrorCode.TWIN_BAD_DEFINITION, `${at}.writable`, 'expected true or false')
    for (const k of ['minimum', 'maximum', 'maxLength'] as const) {
      if (p[k] === undefined) continue
      if (typeof p[k] !== 'number' || !Number.isFinite(p[k])) bad(ErrorCode.TWIN_BAD_DEFINITION, `${at}.${k}`, 'expected a finite number')
      s[k] = p[k] as number
    }
    if (s.minimum !== undefined && s.maximum !== undefined && s.minimum > s.maximum)
      bad(ErrorCode.TWIN_BAD_DEFINITION, `${at}.minimum`, `minimum ${s.minimum} is above maximum ${s.maximum}`)
    if (s.type === 'object') {
      if (depth >= MAX_DEPTH) bad(ErrorCode.TWIN_BAD_DEFINITION, at, `objects nest at most ${MAX_DEPTH} levels`)
      s.properties = checkProperties(p.properties ?? {}, `${at}.properties`, depth + 1)
    } else if (p.properties !== undefined) bad(ErrorCode.TWIN_BAD_DEFINITION, `${at}.properties`, 'only objects have properties')
    out[name] = s
  }
  return out
}

/** Checks an untrusted definition document. */
export function parseDefinition(v: Json): TwinDefinition {
  if (!isObject(v)) bad(ErrorCode.TWIN_BAD_DEFINITION, 'definition', 'expected an object')
  for (const k of Object.keys(v))
    if (!['id', 'attributes', 'features', 'description', 'model'].includes(k))
      bad(ErrorCode.TWIN_BAD_DEFINITION, `definition.${k}`, 'unknown key')
  if (typeof v.id !== 'string' || !DTMI.test(v.id))
    bad(ErrorCode.TWIN_BAD_DEFINITION, 'definition.id', 'expected a DTMI such as dtmi:acme:pump;1')
  if (!isObject(v.features ?? {})) bad(ErrorCode.TWIN_BAD_DEFINITION, 'definition.features', 'expected an object')
  const features = Object.create(null) as TwinDefinition['features']
  for (const [f, spec] of Object.entries((v.features ?? {}) as JsonObject)) {
    if (!NAME.test(f) || RESERVED_KEYS.has(f)) bad(ErrorCode.TWIN_BAD_DEFINITION, `definition.features.${f}`, 'bad feature name')
    if (!isObject(spec) || Object.keys(spec).some(k => k !== 'properties' && k !== 'additionalProperties'))
      bad(ErrorCode.TWIN_BAD_DEFINITION, `definition.features.${f}`, 'expected { "properties": { … }, "additionalProperties"?: boolean }')
    if (spec.additionalProperties !== undefined && typeof spec.additionalProperties !== 'boolean')
      bad(ErrorCode.TWIN_BAD_DEFINITION, `definition.features.${f}.additionalProperties`, 'expected true or false')
    features[f] = {
      properties: checkProperties(spec.properties ?? {}, `definition.features.${f}.properties`, 1),
      additionalProperties: spec.additionalProperties === true,
    }
  }
  const def: TwinDefinition = { id: v.id, attributes: checkProperties(v.attributes ?? {}, 'definition.attributes', 1), features }
  if (v.model !== undefined) def.model = checkModel(v.model)
  return def
}

function checkValue(s: PropertySchema, v: Json, path: string, desired: boolean): void {
  if (desired && !s.writable && s.type !== 'object')
    bad(ErrorCode.TWIN_BAD_PATCH, path, 'is not writable: desired values can only be set on writable properties')
  switch (s.type) {
    case 'number':
    case 'integer':
      if (typeof v !== 'number' || !Number.isFinite(v) || (s.type === 'integer' && !Number.isSafeInteger(v)))
        bad(
          ErrorCode.TWIN_BAD_PATCH,
          path,
          `expected ${s.type === 'integer' ? 'a safe integer (|n| ≤ 2^53 − 1)' : 'a number'}, got ${JSON.stringify(v)}`,
        )
      if (s.minimum !== undefined && v < s.minimum) bad(ErrorCode.TWIN_BAD_PATCH, path, `${v} is below the minimum ${s.minimum}`)
      if (s.maximum !== undefined && v > s.maximum) bad(ErrorCode.TWIN_BAD_PATCH, path, `${v} is above the maximum ${s.maximum}`)
      return
    case 'boolean':
      if (typeof v !== 'boolean') bad(ErrorCode.TWIN_BAD_PATCH, path, `expected true or false, got ${JSON.stringify(v)}`)
      return
    case 'string':
      if (typeof v !== 'string') bad(ErrorCode.TWIN_BAD_PATCH, path, `expected a string, got ${JSON.stringify(v)}`)
      if (s.maxLength !== undefined && v.length > s.maxLength) bad(ErrorCode.TWIN_BAD_PATCH, path, `longer than ${s.maxLength} characters`)
      return
    case 'object':
      checkObject(s.properties ?? {}, v, path, desired)
  }
}

function checkObject(props: Record<string, PropertySchema>, v: Json, path: string, desired: boolean, open = false): void {
  if (!isObject(v)) bad(ErrorCode.TWIN_BAD_PATCH, path, `expected an object, got ${JSON.stringify(v)}`)
  for (const [k, x] of Object.entries(v)) {
    const s = own(props, k)
    if (!s && open) {
      if (depthOf(x, MAX_DEPTH) > MAX_DEPTH - 1) bad(ErrorCode.TWIN_BAD_PATCH, `${path}.${k}`, `nested deeper than ${MAX_DEPTH} levels`)
      continue
    }
    if (!s) bad(ErrorCode.TWIN_BAD_PATCH, `${path}.${k}`, 'is not declared in the definition')
    checkValue(s, x, `${path}.${k}`, desired)
  }
}

function checkSize(doc: Json, path: string): void {
  if (canonicalJson(doc).length > MAX_DOC_BYTES) bad(ErrorCode.TWIN_TOO_LARGE, path, `larger than ${MAX_DOC_BYTES} bytes`)
}

/** Checks a twin's features document: { <f>: { properties?: {…}, desiredProperties?: {…} } }. */
export function checkFeatures(def: TwinDefinition, features: Json): void {
  if (!isObject(features)) bad(ErrorCode.TWIN_BAD_PATCH, 'features', 'expected an object')
  if (depthOf(features, MAX_DEPTH + 3) > MAX_DEPTH + 3)
    bad(ErrorCode.TWIN_BAD_PATCH, 'features', `nested deeper than the definition allows (${MAX_DEPTH} levels of objects)`)
  for (const [f, doc] of Object.entries(features)) {
    const spec = own(def.features, f)
    if (!spec) bad(ErrorCode.TWIN_BAD_PATCH, `features.${f}`, `no feature "${f}" in ${def.id}`)
    if (!isObject(doc)) bad(ErrorCode.TWIN_BAD_PATCH, `features.${f}`, 'expected an object')
    for (const k of Object.keys(doc))
      if (k !== 'properties' && k !== 'desiredProperties')
        bad(ErrorCode.TWIN_BAD_PATCH, `features.${f}.${k}`, 'a feature holds properties and desiredProperties only')
    if (doc.properties !== undefined)
      checkObject(spec.properties, doc.properties, `features.${f}.properties`, false, spec.additionalProperties)
    if (doc.desiredProperties !== undefined)
      checkObject(spec.properties, doc.desiredProperties, `features.${f}.desiredProperties`, true, spec.additionalProperties)
  }
  checkSize(features, 'features')
}

export function checkAttributes(def: TwinDefinition, attributes: Json): void {
  checkObject(def.attributes, attributes, 'attributes', false)
  checkSize(attributes, 'attributes')
}
