/**
 * The APIs a command talks to: the admin API of the member it acts for (--node NAME in a devnet,
 * or --admin URL --token-file F), a public API to read from (--api URL, or the devnet's first
 * node), and waiting for a commit.
 */
import { DitenClient } from '../rpc/client.js'
import { DEFAULT_DEVNET_DIR, readDevnetFile } from '../harness/devnet-file.js'
import { UsageError } from './errors.js'

export interface AdminFlags {
  node?: string | undefined
  admin?: string | undefined
  'token-file'?: string | undefined
  devnet?: string | undefined
}

/** --node NAME [--devnet D] | --admin URL --token-file F, and --wait */
export const ADMIN_FLAGS = {
  devnet: { type: 'string', default: DEFAULT_DEVNET_DIR },
  node: { type: 'string' },
  admin: { type: 'string' },
  'token-file': { type: 'string' },
  wait: { type: 'boolean', default: false },
} as const

/** --devnet D | --api URL, and --json: the flags of the commands that read a node's state */
export const READ_FLAGS = {
  devnet: { type: 'string', default: DEFAULT_DEVNET_DIR },
  api: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const

/** The public API a read command asks: --api, else $DITEN_API, else the devnet's first node. */
export async function readApi(v: { api?: string | undefined; devnet?: string | undefined }): Promise<string> {
  return v.api ?? process.env.DITEN_API ?? (await readDevnetFile(v.devnet!, '--api URL (or DITEN_API)')).nodes[0]!.api
}

export async function adminClient(v: AdminFlags, who: string): Promise<DitenClient> {
  if (v.admin) {
    if (!v['token-file']) throw new UsageError('--admin needs --token-file')
    return DitenClient.admin(v.admin, v['token-file'])
  }
  if (!v.node) throw new UsageError(`say which member ${who}: --node NAME (or --admin URL --token-file F)`)
  const file = await readDevnetFile(v.devnet!, '--admin URL --token-file F')
  const n = file.nodes.find(x => x.name === v.node)
  if (!n) throw new UsageError(`no node "${v.node}" in ${v.devnet}/devnet.json (nodes: ${file.nodes.map(x => x.name).join(', ')})`)
  return DitenClient.admin(n.admin, n.adminTokenFile)
}

/** Polls tx_get until the transaction commits (0) or is rejected (1); prints what happened. */
export async function waitCommitted(client: DitenClient, id: string, what: string, detail = '', timeoutMs = 60_000): Promise<number> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await new Promise(x => setTimeout(x, 200))) {
    const s = await client.call<{ status: string; height?: number; code?: string; message?: string; by?: string }>('tx_get', { id })
    if (s.status === 'replaced' && s.by) {
      // the node re-signed it under a new id (its own transaction before it failed): follow it
      id = s.by
      continue
    }
    if (s.status === 'committed') {
      console.log(`${what} committed at height ${s.height}${detail ? `: ${detail}` : ''}`)
      return 0
    }
    if (s.status === 'rejected') {
      console.error(`${what} rejected: ${s.code}: ${s.message}`)
      return 1
    }
  }
  console.error(`${what} (${id}) not committed within ${timeoutMs / 1000} s; ask again with tx_get`)
  return 1
}
