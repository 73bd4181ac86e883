/** `diten vote <candidate…>`: a member votes, with its stake, for delegates (EOS style). */
import { parseArgs } from 'node:util'
import { DitenClient } from '../rpc/client.js'
import { DEFAULT_DEVNET_DIR, readDevnetFile } from '../harness/devnet-file.js'
import { UsageError } from './errors.js'

export const voteHelp = `diten vote <candidate…> (--node NAME | --admin URL --token-file F) [--devnet D] [--wait]

  Votes with the member's stake for up to maxVoteCandidates members by name; the vote replaces
  the member's last one (no candidates: --withdraw). Delegates are elected at each epoch boundary,
  top-k by votes × reputation. Nodes with "vote": "auto" (the default) re-vote each epoch for the
  members they measure as most capable; set "vote": "manual" in a node's config to vote by hand.

  --node NAME     the voting member's node in the devnet (its admin API and token)
  --admin URL     the voting member's admin API (with --token-file)
  --devnet D      devnet folder (default ${DEFAULT_DEVNET_DIR})
  --withdraw      withdraw the member's vote
  --wait          wait until the vote is committed`

export async function runVote(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      node: { type: 'string' },
      admin: { type: 'string' },
      'token-file': { type: 'string' },
      devnet: { type: 'string', default: DEFAULT_DEVNET_DIR },
      withdraw: { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
    },
  })
  if (positionals.length === 0 && !values.withdraw) throw new UsageError(`name at least one candidate (or --withdraw)\n\n${voteHelp}`)
  if (positionals.length > 0 && values.withdraw) throw new UsageError('--withdraw takes no candidates')
  let client: DitenClient
  if (values.admin) {
    if (!values['token-file']) throw new UsageError('--admin needs --token-file')
    client = await DitenClient.admin(values.admin, values['token-file'])
  } else {
    if (!values.node) throw new UsageError('say which member votes: --node NAME (or --admin URL --token-file F)')
    const file = await readDevnetFile(values.devnet!, '--admin URL --token-file F')
    const n = file.nodes.find(x => x.name === values.node)
    if (!n)
      throw new UsageError(`no node "${values.node}" in ${values.devnet}/devnet.json (nodes: ${file.nodes.map(x => x.name).join(', ')})`)
    client = await DitenClient.admin(n.admin, n.adminTokenFile)
  }
  const r = await client.call<{ id: string }>('stake_vote', { candidates: positionals })
  if (!values.wait) {
    console.log(`vote submitted: ${r.id} (${positionals.join(' ') || 'withdrawn'})`)
    return 0
  }
  for (const until = Date.now() + 60_000; Date.now() < until; await new Promise(x => setTimeout(x, 200))) {
    const s = await client.call<{ status: string; height?: number; code?: string; message?: string }>('tx_get', { id: r.id })
    if (s.status === 'committed') {
      console.log(`vote committed at height ${s.height}: ${positionals.join(' ') || 'withdrawn'}`)
      return 0
    }
    if (s.status === 'rejected') {
      console.error(`vote rejected: ${s.code}: ${s.message}`)
      return 1
    }
  }
  console.error(`vote ${r.id} not committed within 60 s; ask again with tx_get`)
  return 1
}
