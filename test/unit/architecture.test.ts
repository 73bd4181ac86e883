/**
 * The layout rules of ARCHITECTURE.md, checked on the source tree: folders import only
 * downward (ledger ← fl, twin ← consensus ← node), the peer never reaches the tools
 * (node/harness, node/cli), the tools never import the CLI, pure folders read no clock,
 * and no source file grows past 400 lines.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), '../..'))
const SOURCE_DIRS = ['ledger', 'fl', 'twin', 'consensus', 'node', 'scripts']

function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap(name => {
    const path = join(dir, name)
    if (statSync(join(ROOT, path)).isDirectory()) return walk(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

const files = SOURCE_DIRS.flatMap(walk)
const IMPORT = /(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g

/** repo-relative .ts paths a file imports (relative imports only) */
function importsOf(file: string): string[] {
  const src = readFileSync(join(ROOT, file), 'utf8')
  return [...src.matchAll(IMPORT)].map(m => relative(ROOT, join(ROOT, dirname(file), m[1]!)).replace(/\.js$/, '.ts'))
}

const graph = new Map(files.map(f => [f, importsOf(f)]))
const top = (f: string) => f.split('/')[0]!
/** what each pure folder may import besides itself */
const ALLOWED: Record<string, string[]> = { ledger: [], fl: ['ledger'], twin: ['ledger'], consensus: ['ledger', 'fl', 'twin'] }

function closure(start: string): Set<string> {
  const seen = new Set<string>()
  const stack = [start]
  while (stack.length) {
    const f = stack.pop()!
    if (seen.has(f)) continue
    seen.add(f)
    stack.push(...(graph.get(f) ?? []))
  }
  return seen
}

describe('architecture', () => {
  it('every relative import resolves to a file of the tree', () => {
    const missing = [...graph].flatMap(([f, imps]) =>
      imps.filter(i => SOURCE_DIRS.includes(top(i)) && !graph.has(i)).map(i => `${f} → ${i}`),
    )
    expect(missing).toEqual([])
  })

  it('no folder imports upward: ledger ← fl, twin ← consensus ← node', () => {
    const upward = [...graph].flatMap(([f, imps]) => {
      const allowed = ALLOWED[top(f)]
      return allowed ? imps.filter(i => top(i) !== top(f) && !allowed.includes(top(i))).map(i => `${f} → ${i}`) : []
    })
    expect(upward).toEqual([])
  })

  it('the peer (node/node.ts and all it imports) reaches no tool: no node/harness, no node/cli', () => {
    const reached = [...closure('node/node.ts')].filter(
      f => f.startsWith('node/harness/') || f.startsWith('node/cli/') || f === 'node/cli.ts',
    )
    expect(reached).toEqual([])
  })

  it('the client SDK (node/index.ts) carries no peer: only the RPC client, ledger and twin', () => {
    const sdk = [...closure('node/index.ts')].filter(
      f =>
        f.startsWith('node/') &&
        ![
          'node/index.ts',
          'node/rpc/client.ts',
          'node/rpc/token-file.ts',
          'node/rpc/twins.ts',
          'node/rpc/types.ts',
          'node/rpc/methods.ts',
          'node/rpc/openrpc-document.ts',
        ].includes(f),
    )
    expect(sdk).toEqual([])
  })

  it('the client entry (node/client.ts) imports no libp2p, LevelDB, TF.js, logging or metrics package, and no node: module', () => {
    const reached = [...closure('node/client.ts')]
    expect(reached.filter(f => f.startsWith('node/') && !f.startsWith('node/rpc/') && f !== 'node/client.ts')).toEqual([])
    const PACKAGE = /\bfrom\s+'([^.'][^']*)'|(?<!typeof )\bimport\s*\(?\s*'([^.'][^']*)'/g
    const code = (f: string) =>
      readFileSync(join(ROOT, f), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '')
        .replace(/^import type .*$/gm, '')
    const packages = new Set(
      reached.flatMap(f =>
        [...code(f).matchAll(PACKAGE)].map(m =>
          (m[1] ?? m[2])!
            .split('/')
            .slice(0, (m[1] ?? m[2])!.startsWith('@') ? 2 : 1)
            .join('/'),
        ),
      ),
    )
    // no node: module either (Node's are fetched at run time where there is one: ledger/runtime.ts)
    const allowed = ['@noble/curves', '@noble/hashes', 'msgpackr']
    expect([...packages].filter(p => !allowed.includes(p))).toEqual([])
  })

  it('the tools never import the CLI', () => {
    const bad = [...graph].flatMap(([f, imps]) =>
      f.startsWith('node/harness/') || f.startsWith('scripts/') ? imps.filter(i => i.startsWith('node/cli')).map(i => `${f} → ${i}`) : [],
    )
    expect(bad).toEqual([])
  })

  it('pure folders touch no disk, network or process (node/ does)', () => {
    const IO = /from '(node:(fs|fs\/promises|net|http|https|child_process|dgram|worker_threads)|level|libp2p|@libp2p\/[^']+)'/
    const io = files.filter(f => ALLOWED[top(f)]).filter(f => IO.test(readFileSync(join(ROOT, f), 'utf8')))
    expect(io).toEqual([])
  })

  it('pure folders read no clock (time is passed in)', () => {
    const clocks = files
      .filter(f => ALLOWED[top(f)])
      .filter(f => /\bDate\.now\(\)|new Date\(\)|performance\.now\(\)/.test(readFileSync(join(ROOT, f), 'utf8')))
    expect(clocks).toEqual([])
  })

  it('no source file is over 400 lines', () => {
    const long = files
      .map(f => ({ f, lines: readFileSync(join(ROOT, f), 'utf8').split('\n').length - 1 }))
      .filter(x => x.lines > 400)
      .map(x => `${x.f}: ${x.lines}`)
    expect(long).toEqual([])
  })
})
