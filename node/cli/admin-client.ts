/** The admin API of the member a command acts for (--node NAME in a devnet, or --admin URL --token-file F), and waiting for a commit. */
import { DitenClient } from '../rpc/client.js'
import { readDevnetFile } from '../harness/devnet-file.js'
import { UsageError } from './errors.js'

export interface AdminFlags {
  node?: string | undefined
  admin?: string | undefined
  'token-file'?: string | undefined
  devnet?: string | undefined
}

export const ADMIN_FLAGS = {
  node: { type: 'string' },
  admin: { type: 'string' },
  'token-file': { type: 'string' },
  wait: { type: 'boolean', default: false },
} as const

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
    const s = await client.call<{ status: string; height?: number; code?: string; message?: string }>('tx_get', { id })
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
