/**
 * The observability kit against what a node really exports: every panel query and template of
 * deploy/grafana/*.json names a metric family the node serves on its metrics address; the
 * exposition passes `promtool check metrics` and deploy/prometheus.yml `promtool check config`
 * (Debian's prometheus package; CI installs it and sets DITEN_REQUIRE_PROMTOOL=1).
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testNet, type TestNet } from '../helpers.js'

let net: TestNet
let exposition = ''
beforeAll(async () => {
  net = await testNet(1)
  const node = await net.start(0)
  exposition = await (await fetch(node.metricsUrl!)).text()
})
afterAll(async () => {
  await net?.close()
})

const GRAFANA = 'deploy/grafana'
const METRIC = /\b(?:diten|process|nodejs)_[a-z0-9_]+\b/g

/** metric family → type, from the `# TYPE` lines */
function families(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!)
  return out
}

/** Resolves a series name used in a query to its family (histogram series have suffixes). */
function familyOf(name: string, known: Map<string, string>): string | undefined {
  if (known.has(name)) return name
  const m = /^(.*)_(bucket|sum|count)$/.exec(name)
  if (m && ['histogram', 'summary'].includes(known.get(m[1]!) ?? '')) return m[1]
  return undefined
}

function promtool(args: string[], input?: string): { status: number | null; out: string } | undefined {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8' })
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    if (process.env.DITEN_REQUIRE_PROMTOOL) throw new Error('promtool is not installed (apt-get install prometheus)')
    console.warn('promtool not found (Debian package prometheus): exposition and config not checked by promtool here')
    return undefined
  }
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

describe('dashboards and scrape config', () => {
  it('every panel query and template of every dashboard resolves to a metric the node exports', () => {
    const known = families(exposition)
    expect(known.size).toBeGreaterThan(40)
    const files = readdirSync(GRAFANA).filter(f => f.endsWith('.json'))
    expect(files.sort()).toEqual(['consensus.json', 'fl-rounds.json', 'network-overview.json', 'tangle.json', 'twins.json'])
    const unresolved: string[] = []
    let queries = 0
    for (const f of files) {
      const d = JSON.parse(readFileSync(join(GRAFANA, f), 'utf8')) as {
        panels: { title: string; targets: { expr: string }[] }[]
        templating: { list: { query?: string }[] }
      }
      expect(d.panels.length, f).toBeGreaterThan(0)
      const exprs = [
        ...d.panels.flatMap(p => {
          expect(p.targets.length, `${f}: ${p.title}`).toBeGreaterThan(0)
          return p.targets.map(t => ({ where: `${f}: ${p.title}`, expr: t.expr }))
        }),
        ...d.templating.list.filter(t => t.query?.includes('(')).map(t => ({ where: `${f}: template`, expr: t.query! })),
      ]
      for (const { where, expr } of exprs) {
        const names = expr.match(METRIC) ?? []
        expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0)
        queries++
        for (const n of names) if (!familyOf(n, known)) unresolved.push(`${where}: ${n}`)
      }
    }
    expect(unresolved).toEqual([])
    expect(queries).toBeGreaterThan(40)
    const used = new Set(files.flatMap(f => readFileSync(join(GRAFANA, f), 'utf8').match(METRIC) ?? []))
    console.log(
      `[dashboards] ${queries} queries in ${files.length} dashboards name ${used.size} series; every one resolves to one of the ${known.size} metric families the node exports`,
    )
    // the node labels its series itself: the dashboards select on it
    expect(exposition).toMatch(/^diten_build_info\{version="\d+\.\d+\.\d+",nodejs="v\d+[^"]*",node="node-0"\} 1$/m)
  })

  it('the exposition passes promtool check metrics; prometheus.yml passes promtool check config', () => {
    const metrics = promtool(['check', 'metrics'], exposition)
    if (metrics) expect(metrics.status, metrics.out).toBe(0)
    const config = promtool(['check', 'config', 'deploy/prometheus.yml'])
    if (config) expect(config.status, config.out).toBe(0)
  })
})
