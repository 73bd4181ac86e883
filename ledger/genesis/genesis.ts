/**
 * genesis.json: the chain id, the members and the protocol parameters every node agrees on.
 * `parseGenesis` is the only way a genesis enters a node; any problem names its field.
 */
import { DitenError, ErrorCode, SchemaError } from '../errors.js'
import { struct, str, hex, uint, int, array, optional, refine, invalid, type Infer } from '../schema.js'
import { defineCodec } from '../encoding.js'
import { taggedHash } from '../hash.js'
import { fromHex, toHex } from '../bytes.js'
import { publicKeyProblem } from '../verify.js'
import { genesisParamsType, defaultGenesisParams, type GenesisParams } from './params.js'
import { genesisTrainerType, type GenesisTrainer } from './trainers.js'

export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/

export const memberType = struct({
  name: str({ min: 1, max: 32, pattern: NAME_PATTERN, format: 'a name of lower-case letters, digits and dashes (≤ 32)' }),
  /** ed25519 public key; the member's libp2p peer id is derived from it */
  publicKey: hex(32),
  /** Σ data of the trainer twins this member hosts ([R2] eq. 6; with `trainers`, exactly their sum) */
  dataSize: uint(),
  /** initial training coins S_i = floor(dataSize / Σ dataSize · initialSupply) */
  stake: uint(),
})
export type GenesisMember = Infer<typeof memberType>

const genesisStruct = struct({
  chainId: str({
    min: 1,
    max: 64,
    pattern: /^[a-z0-9][a-z0-9._-]*$/,
    format: 'a chain id of lower-case letters, digits, ".", "_" and "-"',
  }),
  /** unix milliseconds */
  genesisTime: uint(),
  members: array(memberType, { min: 1, max: 1024 }),
  /** the trainer twins registered at genesis (ledger/genesis/trainers.ts); required for federated learning */
  trainers: optional(array(genesisTrainerType, { max: 100_000 })),
  /** I: the number of committees (shards) */
  committees: int({ min: 1, max: 64 }),
  /** k: the number of delegates elected each epoch */
  delegates: int({ min: 1, max: 1024 }),
  params: genesisParamsType,
})
export type Genesis = Infer<typeof genesisStruct>

/** Seed 001 eq. 6, in integer arithmetic so every node computes the same coins. */
export function initialStake(dataSize: number, totalData: number, initialSupply: number): number {
  if (totalData === 0) return 0
  return Number((BigInt(dataSize) * BigInt(initialSupply)) / BigInt(totalData))
}

export const genesisType = refine(genesisStruct, (g, path) => {
  const names = new Set<string>()
  const keys = new Set<string>()
  const total = g.members.reduce((s, m) => s + m.dataSize, 0)
  if (!Number.isSafeInteger(total)) invalid(`${path}.members`, 'the sum of dataSize is too large')
  g.members.forEach((m, i) => {
    const at = `${path}.members[${i}]`
    if (names.has(m.name)) invalid(`${at}.name`, `duplicate member name "${m.name}"`)
    if (keys.has(m.publicKey)) invalid(`${at}.publicKey`, 'duplicate public key')
    const problem = publicKeyProblem(fromHex(m.publicKey))
    if (problem) invalid(`${at}.publicKey`, problem)
    names.add(m.name)
    keys.add(m.publicKey)
    const expected = initialStake(m.dataSize, total, g.params.stake.initialSupply)
    if (m.stake !== expected)
      invalid(`${at}.stake`, `expected ${expected} = floor(dataSize / Σ dataSize · initialSupply) ([R2] eq. 6), got ${m.stake}`)
  })
  if (g.delegates > g.members.length) invalid(`${path}.delegates`, `${g.delegates} delegates but only ${g.members.length} members`)
  if (g.committees > g.delegates)
    invalid(`${path}.committees`, `${g.committees} committees need at least as many delegates, got ${g.delegates}`)
  const seats = Math.floor(g.delegates / g.committees)
  if (g.params.fl.enabled && seats < MIN_FL_COMMITTEE)
    invalid(
      `${path}.delegates`,
      `federated learning needs committees of at least ${MIN_FL_COMMITTEE} verifiers (n = 3f + 1 with f ≥ 1), but ${g.delegates} delegates over ${g.committees} committees seat ${seats}`,
    )
  checkTrainers(g, path)
  const d = g.params.fl.defences
  if (new Set(d).size !== d.length) invalid(`${path}.params.fl.defences`, `a defence is listed twice: ${d.join(', ')}`)
  const r = g.params.reputation
  const sum = r.wEncBp + r.wRouBp + r.wPropBp + r.wHistBp
  if (sum !== 10_000) invalid(`${path}.params.reputation`, `weights must sum to 10000 basis points, got ${sum}`)
  const t = g.params.tangle
  if (t.cap < Math.max(t.cwThreshold, 2 * t.bandWeight))
    invalid(`${path}.params.tangle.cap`, `must be ≥ max(cwThreshold, 2·bandWeight) = ${Math.max(t.cwThreshold, 2 * t.bandWeight)}`)
  if (t.minApprovingMembers > g.members.length)
    invalid(`${path}.params.tangle.minApprovingMembers`, `${t.minApprovingMembers} exceeds the ${g.members.length} members`)
})

/** Trainer twins: unique ids and keys, hosted by members; each member's dataSize is the sum of its trainers'. */
function checkTrainers(g: Infer<typeof genesisStruct>, path: string): void {
  const trainers = g.trainers ?? []
  if (g.params.fl.enabled && trainers.length === 0)
    invalid(
      `${path}.trainers`,
      'federated learning needs registered trainers: list the trainer twins (trainer:<name>, owner key, host, dataSize)',
    )
  if (trainers.length === 0) return
  const ids = new Set<string>()
  const owners = new Set<string>()
  const data = new Map<string, number>(g.members.map(m => [m.name, 0]))
  trainers.forEach((t, i) => {
    const at = `${path}.trainers[${i}]`
    if (ids.has(t.twinId)) invalid(`${at}.twinId`, `duplicate trainer "${t.twinId}"`)
    if (owners.has(t.owner)) invalid(`${at}.owner`, 'duplicate owner key: each trainer has its own device key')
    const problem = publicKeyProblem(fromHex(t.owner))
    if (problem) invalid(`${at}.owner`, problem)
    if (!data.has(t.host)) invalid(`${at}.host`, `no member named "${t.host}"`)
    ids.add(t.twinId)
    owners.add(t.owner)
    data.set(t.host, data.get(t.host)! + t.dataSize)
  })
  g.members.forEach((m, i) => {
    const sum = data.get(m.name)!
    if (m.dataSize !== sum)
      invalid(`${path}.members[${i}].dataSize`, `expected ${sum} = Σ dataSize of the trainer twins it hosts, got ${m.dataSize}`)
  })
}

/** the smallest committee that verifies FL updates: one faulty verifier tolerated (n = 3f + 1, f = 1) */
export const MIN_FL_COMMITTEE = 4

export const genesisCodec = defineCodec('genesis', genesisType, 1 << 20)

/** Genesis documents are never mutated once parsed or created: the hash is kept per object. */
const genesisHashes = new WeakMap<Genesis, Uint8Array>()

export function genesisHash(g: Genesis): Uint8Array {
  let h = genesisHashes.get(g)
  if (!h) {
    h = taggedHash('genesis', genesisCodec.encode(g))
    genesisHashes.set(g, h)
  }
  return h
}

export interface NewMember {
  name: string
  publicKey: string
  dataSize: number
}

export interface GenesisOptions {
  chainId: string
  /** a member's dataSize is ignored when trainers are given (it is the sum of its trainers') */
  members: NewMember[]
  /** trainer twins registered at genesis */
  trainers?: GenesisTrainer[]
  committees?: number
  delegates?: number
  /** milliseconds since 1970 (the caller reads the clock) */
  genesisTime: number
  params?: GenesisParams
}

export function createGenesis(o: GenesisOptions): Genesis {
  const params = o.params ?? defaultGenesisParams()
  if (!o.params) {
    // a single-member network (development) cannot ask for approvals from two members
    params.tangle.minApprovingMembers = Math.min(params.tangle.minApprovingMembers, o.members.length)
  }
  const members = o.trainers?.length
    ? o.members.map(m => ({ ...m, dataSize: o.trainers!.reduce((s, t) => s + (t.host === m.name ? t.dataSize : 0), 0) }))
    : o.members
  const total = members.reduce((s, m) => s + m.dataSize, 0)
  const g: Genesis = {
    chainId: o.chainId,
    genesisTime: o.genesisTime,
    members: members.map(m => ({ ...m, stake: initialStake(m.dataSize, total, params.stake.initialSupply) })),
    ...(o.trainers?.length ? { trainers: o.trainers } : {}),
    committees: o.committees ?? 1,
    delegates: o.delegates ?? o.members.length,
    params,
  }
  return genesisType.check(g, 'genesis')
}

/** Parses genesis.json text. Errors: GENESIS_INVALID naming the JSON position or field. */
export function parseGenesis(text: string, source = 'genesis'): Genesis {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    throw new DitenError(ErrorCode.GENESIS_INVALID, `${source}: not valid JSON (${(e as Error).message})`)
  }
  try {
    return genesisType.check(raw, 'genesis')
  } catch (e) {
    if (e instanceof SchemaError)
      throw new DitenError(ErrorCode.GENESIS_INVALID, `${source}: ${e.message}`, { path: e.path, cause: e.code })
    throw e
  }
}

export function genesisToJson(g: Genesis): string {
  return `${JSON.stringify(g, null, 2)}\n`
}

export function genesisHashHex(g: Genesis): string {
  return toHex(genesisHash(g))
}
