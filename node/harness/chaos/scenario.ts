/**
 * Chaos scenarios: small JSON files (scripts/scenarios/*.json) that say which network to start,
 * which members misbehave, which process faults happen when, and what load runs meanwhile.
 *
 *   { "name": "crash-restart", "description": "…", "nodes": 4, "shards": 1, "durationS": 40,
 *     "byzantine": [{ "node": "node-3", "behaviours": ["equivocate"] }],
 *     "faults": [{ "at": 10, "kind": "kill", "node": "node-1", "forS": 5 }],
 *     "load": { "twins": 40, "syncsPerSec": 20 },
 *     "expect": { "recoveryMs": 20000, "punished": ["node-3"] },
 *     "quick": { "durationS": 25 } }
 *
 * Fault kinds: kill (kill -9, restarted after forS), pause (SIGSTOP, SIGCONT after forS),
 * partition (the node drops every peer for forS), outsider (a non-member libp2p peer dials and
 * publishes for forS), rpc-garbage (malformed JSON-RPC bodies to every node for forS), vote
 * (voters vote for candidates), member-add (a spare operator is approved in and starts; caught
 * up within forS), member-remove (a member is approved out; after forS it must be cut off).
 */
import { readFile, readdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DitenError, ErrorCode, SchemaError, array, oneOf, optional, str, struct, uint, type Infer } from '../../../ledger/index.js'
import { BEHAVIOURS } from '../../faults/behaviours.js'

export const FAULT_KINDS = ['kill', 'pause', 'partition', 'outsider', 'rpc-garbage', 'vote', 'member-add', 'member-remove'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

const nodeName = str({ min: 1, max: 32, pattern: /^node-\d+$/, format: 'a node name like node-3' })
const faultType = struct({
  /** seconds after the load starts */
  at: uint(3600),
  kind: oneOf(FAULT_KINDS),
  /** the node it hits (kill, pause, partition; member-add: a spare; member-remove: a member) */
  node: optional(nodeName),
  forS: uint(3600),
  /** vote: who votes, and for whom */
  voters: optional(array(nodeName, { max: 32 })),
  candidates: optional(array(nodeName, { max: 32 })),
})
const overrides = struct({
  durationS: optional(uint(3600)),
  syncsPerSec: optional(uint(10_000)),
  faults: optional(array(faultType, { max: 64 })),
  flRounds: optional(uint(1000)),
})

export const scenarioType = struct({
  name: str({ min: 1, max: 64, pattern: /^[a-z0-9-]+$/, format: 'a lower-case name' }),
  description: str({ min: 1, max: 500 }),
  nodes: uint(32),
  shards: optional(uint(8)),
  blockIntervalMs: optional(uint(60_000)),
  /** k: delegates elected per epoch (default: every member) */
  delegates: optional(uint(32)),
  /** the nodes' voting policy (default auto) */
  vote: optional(oneOf(['auto', 'manual'] as const)),
  /** operators with keys but not in genesis (node-<nodes>…), for member-add faults */
  spares: optional(uint(8)),
  epochLength: optional(uint(1_000_000)),
  /** seconds of load and faults (the drain and checks come after) */
  durationS: uint(3600),
  byzantine: optional(
    array(struct({ node: nodeName, behaviours: array(oneOf(BEHAVIOURS), { min: 1, max: BEHAVIOURS.length }) }), { max: 32 }),
  ),
  faults: optional(array(faultType, { max: 64 })),
  /** twin sync load (scenarios without `fl`) */
  load: optional(struct({ twins: uint(10_000), syncsPerSec: uint(10_000) })),
  /** federated learning on MNIST instead of twin load: the run follows `rounds` rounds */
  fl: optional(struct({ rounds: uint(1000), trainers: uint(1000), dataLimit: uint(10_000), localEpochs: uint(100) })),
  expect: optional(
    struct({
      /** commits resume and faulted nodes catch up within this many ms after a fault ends */
      recoveryMs: optional(uint(600_000)),
      /** members that must end slashed and jailed (equivocators) */
      punished: optional(array(nodeName, { max: 32 })),
      /** members whose reputation must end below the election threshold, not elected (poisoners) */
      distrusted: optional(array(nodeName, { max: 32 })),
      /** members that must be delegates at the end (votes decided the election) */
      elected: optional(array(nodeName, { max: 32 })),
      /** FL: the chain's final accuracy may trail plain FedAvg without attackers by at most this (points) */
      maxAccuracyDropPts: optional(uint(100)),
    }),
  ),
  /** replaced fields for `--quick` runs */
  quick: optional(overrides),
})
export type Scenario = Infer<typeof scenarioType>
export type Fault = Infer<typeof faultType>

/** scripts/scenarios/ of the package (found upwards from this file, in dist/ or in the sources) */
export const SCENARIO_DIR = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++, dir = dirname(dir))
    if (existsSync(join(dir, 'scripts', 'scenarios'))) return join(dir, 'scripts', 'scenarios')
  return join(dirname(fileURLToPath(import.meta.url)), 'scenarios')
})()

export function parseScenario(text: string, source: string): Scenario {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    throw new DitenError(ErrorCode.CONFIG_INVALID, `${source}: not valid JSON (${(e as Error).message})`)
  }
  let s: Scenario
  try {
    s = scenarioType.check(raw, 'scenario')
  } catch (e) {
    if (e instanceof SchemaError) throw new DitenError(ErrorCode.CONFIG_INVALID, `${source}: ${e.message}`)
    throw e
  }
  const known = (n: string, where: string) => {
    if (Number(n.slice(5)) >= s.nodes + (s.spares ?? 0))
      throw new DitenError(
        ErrorCode.CONFIG_INVALID,
        `${source}: ${where} names ${n}, but the scenario has ${s.nodes} nodes (node-0…node-${s.nodes - 1})`,
      )
  }
  for (const b of s.byzantine ?? []) known(b.node, 'byzantine')
  for (const [i, f] of [...(s.faults ?? []), ...(s.quick?.faults ?? [])].entries()) {
    if (['kill', 'pause', 'partition', 'member-add', 'member-remove'].includes(f.kind) && !f.node)
      throw new DitenError(ErrorCode.CONFIG_INVALID, `${source}: fault ${i} (${f.kind}) needs a node`)
    if (f.node) known(f.node, `fault ${i}`)
    if (f.kind === 'member-add' && Number(f.node!.slice(5)) < s.nodes)
      throw new DitenError(
        ErrorCode.CONFIG_INVALID,
        `${source}: fault ${i} (member-add) names ${f.node}, a genesis member (spares: node-${s.nodes}…)`,
      )
    if (f.kind === 'vote' && (!f.voters?.length || !f.candidates?.length))
      throw new DitenError(ErrorCode.CONFIG_INVALID, `${source}: fault ${i} (vote) needs voters and candidates`)
    for (const n of [...(f.voters ?? []), ...(f.candidates ?? [])]) known(n, `fault ${i}`)
  }
  for (const n of [...(s.expect?.punished ?? []), ...(s.expect?.distrusted ?? []), ...(s.expect?.elected ?? [])]) known(n, 'expect')
  if (!s.load && !s.fl) throw new DitenError(ErrorCode.CONFIG_INVALID, `${source}: give a twin "load" or an "fl" task`)
  if (s.nodes < 1) throw new DitenError(ErrorCode.CONFIG_INVALID, `${source}: nodes must be at least 1`)
  return s
}

/** The scenario as a `--quick` run sees it. */
export function quickened(s: Scenario): Scenario {
  if (!s.quick) return s
  return {
    ...s,
    ...(s.quick.durationS !== undefined ? { durationS: s.quick.durationS } : {}),
    ...(s.load ? { load: { ...s.load, ...(s.quick.syncsPerSec !== undefined ? { syncsPerSec: s.quick.syncsPerSec } : {}) } } : {}),
    ...(s.quick.faults ? { faults: s.quick.faults } : {}),
    ...(s.fl && s.quick.flRounds !== undefined ? { fl: { ...s.fl, rounds: s.quick.flRounds } } : {}),
  }
}

/** A scenario by name (scripts/scenarios/<name>.json) or by path. */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const path = nameOrPath.endsWith('.json') ? nameOrPath : join(SCENARIO_DIR, `${nameOrPath}.json`)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    const names = await listScenarios().catch(() => [])
    throw new DitenError(ErrorCode.CONFIG_INVALID, `no scenario "${nameOrPath}" (${path}); known: ${names.join(', ')}`)
  }
  return parseScenario(text, basename(path))
}

export async function listScenarios(): Promise<string[]> {
  return (await readdir(SCENARIO_DIR))
    .filter(f => f.endsWith('.json'))
    .map(f => f.slice(0, -5))
    .sort()
}

/** Members that run a misbehaviour switch (not counted as honest in the checks). */
export function byzantineNodes(s: Scenario): Set<string> {
  return new Set((s.byzantine ?? []).map(b => b.node))
}
