/** What `diten fl run` takes and what it reports (report.json), and the RPC shapes it reads. */
import type { GenesisParams } from '../../ledger/index.js'
import type { BaselineRound } from '../../fl/baselines.js'
import type { ProbeReport } from './fl-probe.js'
import type { VerdictReason } from '../../fl/verdicts.js'
import type { Decisions, RejectionSummary } from './fl-decisions.js'

export interface FlRunOptions {
  nodes: number
  trainers: number
  rounds: number
  dataset: string
  dataLimit: number
  partition: 'iid' | 'dirichlet'
  alpha: number
  mode: 'sync' | 'async'
  /** async mode: FedAsync mixing or [R3]'s τ-damped update weights */
  asyncRule?: GenesisParams['fl']['asyncRule']
  aggregation: GenesisParams['fl']['aggregation']
  localEpochs: number
  /** node name → behaviours, as for `diten devnet --byzantine` (with --attack's members added) */
  byzantine: string
  /** round-close defences written into genesis */
  defences?: GenesisParams['fl']['defences']
  out: string
  basePort: number
  blockIntervalMs: number
  /** committees (shards); each verifies the updates of the members a round assigns to it */
  shards: number
  /** all: centralized, plain FedAvg and (with classic attackers) FedAvg under attack; fedavg: plain FedAvg (and under attack); attacked: only the last */
  baselines: 'all' | 'fedavg' | 'attacked' | 'none'
  log: (line: string) => void
  /** one progress line (rewritten in place on a terminal) */
  progress: (line: string) => void
  /** blocks per epoch (default: the genesis default) */
  epochLength?: number
  /** runs after the last round, while the devnet is still up (chaos checks) */
  inspect?: (devnetDir: string) => Promise<void>
}

export interface RoundReport {
  round: number
  accuracy: number
  loss: number
  /** backdoor runs: share of triggered test inputs of other classes that M(e) classifies as the target */
  asr: number | null
  /** what each rule decided this round, by code (rejections, and the defences' adjustments of kept updates) */
  decisions: Decisions
  accepted: string[]
  rejected: { member: string; code: string; detail: string }[]
  /** per update (from fl_getUpdate): the shard that ordered it and its committee's verdicts */
  verdicts: { member: string; shard: number; outcome: string; verdicts: UpdateRecord['verdicts'] }[]
  /** who trained in the round and the committee (shard) each one's update went to */
  participants: { member: string; committee: number; trainers: string[] }[]
  /** async mode: the staleness bound the chain set for the next round */
  staleness: number
  /** each shard's close of its part: the height of the block that closed it (0: the round closed without it) */
  shardCloses: { shard: number; height: number; dataSize: number }[]
  wallMs: number
  bytesOnChain: number
  model: string
}

export interface FlReport {
  config: Omit<FlRunOptions, 'log' | 'progress'>
  final: { chainAcc: number; fedavgAcc: number | null; centralAcc: number | null; fedavgAttackedAcc: number | null }
  poisonedAccepted: number
  /** honest updates left out over the run (false rejections), and the attackers' updates kept */
  rejections: RejectionSummary
  attackers: string[]
  modelHashesAgree: boolean
  /** every node lists the same accepted and rejected members (with codes) for every round */
  outcomesAgree: boolean
  /** every node holds the same stake, rejected-update and bad-verdict counts for every member at the end */
  membersAgree: boolean
  /** every member at the end: stake (training coins), rejected updates, verdicts against the outcome */
  members: { name: string; stake: number; rejectedUpdates: number; badVerdicts: number }[]
  initialStake: Record<string, number>
  meanRoundMs: number
  fedavgRoundMs: number | null
  roundTimeRatio: number | null
  rounds: RoundReport[]
  /** a twin of the FL task: the prediction the chain stored with each M(e) (M(e) blobs are saved in models/) */
  probe: ProbeReport | null
  /** the committees seen during the run, per epoch and shard */
  committees: { epoch: number; shard: number; members: string[] }[]
  /** `cached`: those read from the baseline cache (node/harness/fl-baselines.ts) */
  baselines: { centralized: BaselineRound[]; fedavg: BaselineRound[]; fedavgAttacked: BaselineRound[]; cached?: string[] }
}

export interface ConsensusStatus {
  shards: { shard: number; epoch: number; committee: string[] }[]
}

export interface UpdateRecord {
  id: string
  member: string
  shard: number
  outcome: string
  code: string
  detail: string
  verdicts: { verifier: string; accept: boolean; accuracyBp: number; reason: VerdictReason; trustBp: number }[]
}

export interface FlStatus {
  round: number
  updates: { member: string; outcome: string }[]
  closed: {
    round: number
    model: string
    height: number
    accepted: string[]
    rejected: { member: string; code: string }[]
    updates: { id: string }[]
    shards: { shard: number; height: number; dataSize: number }[]
    participants: { member: string; committee: number; trainers: string[] }[]
    nextStaleness: number
  }[]
}
