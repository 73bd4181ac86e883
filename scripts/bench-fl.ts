/**
 * bench:fl — chain FL against its baselines (issue [4/6]). Runs `diten fl run` (same flags; default
 * MNIST, 4 members, 10 trainers, 20 rounds, IID) once clean and once per attack with one member's
 * trainers malicious (node-1 hosts t1, t5, t9: 3 of 10), then prints a table and, last, one JSON
 * line of the figures. `--attacks a,b` picks the attacks (default sign-flip,poison-noise,scale;
 * `--attacks none` runs only the clean network).
 */
import '../node/polyfill.js'
import { join } from 'node:path'
import { parseFlRun } from '../node/harness/fl-options.js'
import { pct, runFl, type FlReport } from '../node/harness/fl-runner.js'

const argv = process.argv.slice(2)
const ai = argv.indexOf('--attacks')
const attacks = ai >= 0 ? (argv[ai + 1] === 'none' ? [] : argv[ai + 1]!.split(',')) : ['sign-flip', 'poison-noise', 'scale']
if (ai >= 0) argv.splice(ai, 2)
const base = parseFlRun(argv)
const out = base.out === 'fl-report' ? 'bench-fl' : base.out

const clean = await runFl({ ...base, out: join(out, 'clean'), byzantine: '' })
const attacked: Record<string, FlReport> = {}
for (const a of attacks) attacked[a] = await runFl({ ...base, out: join(out, a), byzantine: `node-1:${a}`, baselines: 'attacked' })

const rows = [['run', 'chain acc', 'plain FedAvg', 'centralized', 'FedAvg attacked', 'poisoned accepted', 'round s', 'same M(e)']]
rows.push([
  'clean',
  pct(clean.final.chainAcc),
  pct(clean.final.fedavgAcc),
  pct(clean.final.centralAcc),
  '-',
  String(clean.poisonedAccepted),
  (clean.meanRoundMs / 1000).toFixed(1),
  String(clean.modelHashesAgree),
])
for (const [a, r] of Object.entries(attacked))
  rows.push([
    `node-1:${a}`,
    pct(r.final.chainAcc),
    '-',
    '-',
    pct(r.final.fedavgAttackedAcc),
    String(r.poisonedAccepted),
    (r.meanRoundMs / 1000).toFixed(1),
    String(r.modelHashesAgree),
  ])
const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => r[i]!.length)))
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '))
const round = (v: number | null) => (v === null ? null : Math.round(v * 10_000) / 10_000)
console.log(
  JSON.stringify({
    bench: 'fl',
    chainAcc: round(clean.final.chainAcc),
    fedavgAcc: round(clean.final.fedavgAcc),
    centralAcc: round(clean.final.centralAcc),
    attacked: Object.fromEntries(
      Object.entries(attacked).map(([a, r]) => [
        a,
        { chainAcc: round(r.final.chainAcc), fedavgAttackedAcc: round(r.final.fedavgAttackedAcc), poisonedAccepted: r.poisonedAccepted },
      ]),
    ),
    poisonedAccepted: Object.values(attacked).reduce((n, r) => n + r.poisonedAccepted, clean.poisonedAccepted),
    roundTimeRatio: clean.roundTimeRatio === null ? null : Math.round(clean.roundTimeRatio * 100) / 100,
    chainRoundMs: Math.round(clean.meanRoundMs),
    fedavgRoundMs: clean.fedavgRoundMs === null ? null : Math.round(clean.fedavgRoundMs),
    modelHashesAgree: [clean, ...Object.values(attacked)].every(r => r.modelHashesAgree),
  }),
)
process.exit(0)
