/**
 * The web explorer's files (built by `npm run build` from explorer/ into dist/explorer), read
 * once at start and served from memory by the public API: GET / is the page, /assets/* its
 * scripts and styles. Nothing on disk is read per request and no path from a request reaches the
 * file system: only the names found at start exist.
 */
import { readFile, readdir } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

export interface StaticFile {
  type: string
  body: Buffer
  /** the body gzip-compressed, when that is smaller (sent to clients that accept gzip) */
  gzip: Buffer | undefined
  /** content-hashed names never change: cached for a year; index.html is revalidated */
  immutable: boolean
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
}

/** where the build puts the explorer: dist/explorer, beside dist/node (running sources, node/: ../dist/explorer) */
const BUILT_DIR = new URL('.', import.meta.url).pathname.endsWith('/dist/node/') ? '../explorer/' : '../dist/explorer/'

async function walk(dir: string, prefix = ''): Promise<[string, string][]> {
  const out: [string, string][] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await walk(join(dir, e.name), `${prefix}${e.name}/`)))
    else if (TYPES[extname(e.name)]) out.push([`/${prefix}${e.name}`, join(dir, e.name)])
  }
  return out
}

/** The explorer's files by URL path ('/' is index.html); empty when the explorer was not built. */
export async function loadExplorer(dir?: string): Promise<Map<string, StaticFile>> {
  const entries = await walk(dir ?? fileURLToPath(new URL(BUILT_DIR, import.meta.url))).catch(() => [])
  const files = new Map<string, StaticFile>()
  if (!entries.some(([p]) => p === '/index.html')) return files
  for (const [path, file] of entries) {
    const body = await readFile(file)
    const gz = gzipSync(body, { level: 9 })
    files.set(path, {
      type: TYPES[extname(file)]!,
      body,
      gzip: gz.length < body.length * 0.9 ? gz : undefined,
      immutable: path.startsWith('/assets/'),
    })
  }
  files.set('/', files.get('/index.html')!)
  return files
}

/** The page's Content-Security-Policy: its own scripts only, API calls to this origin only. */
export const EXPLORER_CSP =
  "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
