/** `diten fl run`: federated learning on a real local devnet, with baselines and a report. */
import { join } from 'node:path'
import { UsageError } from './errors.js'
import { flHelp, parseFlRun } from '../harness/fl-options.js'
import { pct, runFl } from '../harness/fl-runner.js'

export { flHelp }

export async function runFlCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'run') throw new UsageError(`usage: ${flHelp.split('\n')[0]}`)
  const o = parseFlRun(rest)
  const r = await runFl(o)
  if (process.stdout.isTTY) process.stdout.write('\r\x1b[K')
  console.log(
    `\nfinal test accuracy: chain ${pct(r.final.chainAcc)} | plain FedAvg ${pct(r.final.fedavgAcc)} | centralized ${pct(r.final.centralAcc)}${r.attackers.length ? ` | FedAvg under the same attack ${pct(r.final.fedavgAttackedAcc)}` : ''}`,
  )
  console.log(
    `poisoned updates accepted: ${r.poisonedAccepted}; every node derived the same M(e): ${r.modelHashesAgree ? 'yes' : 'NO'}; mean round ${(r.meanRoundMs / 1000).toFixed(1)} s${r.roundTimeRatio ? ` (${r.roundTimeRatio.toFixed(2)}× a plain FedAvg round)` : ''}`,
  )
  const x = r.rejections
  const asr = r.rounds.at(-1)?.asr
  console.log(
    `honest updates left out by a rule: ${x.honestRejected} of ${x.honestSubmitted} (${pct(x.falseRejectionRate)})${x.honestUndecided ? `, undecided at the deadline: ${x.honestUndecided}` : ''}${x.maliciousSubmitted ? `; attackers' updates kept: ${x.maliciousKept} of ${x.maliciousSubmitted}` : ''}${asr === null || asr === undefined ? '' : `; backdoor attack success (last round): ${pct(asr)}`}`,
  )
  if (r.config.shards > 1)
    for (const x of r.rounds) {
      const by = Array.from(
        { length: r.config.shards },
        (_, k) =>
          `shard ${k}: ${
            x.verdicts
              .filter(v => v.shard === k)
              .map(v => v.member)
              .join(' ') || '-'
          }`,
      )
      const missed = x.shardCloses.filter(c => c.height === 0).map(c => c.shard)
      console.log(
        `round ${x.round} updates ordered by ${by.join('; ')}${missed.length ? ` (closed without shard ${missed.join(', ')})` : ''}`,
      )
    }
  console.log(`coins and counters: ${r.membersAgree ? 'the same on every node' : 'NODES DISAGREE'}`)
  console.log(`wrote ${join(r.config.out, 'report.json')} and ${join(r.config.out, 'accuracy.svg')}`)
  return r.modelHashesAgree && r.membersAgree ? 0 : 1
}
