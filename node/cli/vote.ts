/** `diten vote <candidate…>`: a member votes, with its stake, for delegates (EOS style). */
import { parseArgs } from 'node:util'
import { DEFAULT_DEVNET_DIR } from '../harness/devnet-file.js'
import { ADMIN_FLAGS, adminClient, waitCommitted } from './api-client.js'
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
      ...ADMIN_FLAGS,
      withdraw: { type: 'boolean', default: false },
    },
  })
  if (positionals.length === 0 && !values.withdraw) throw new UsageError(`name at least one candidate (or --withdraw)\n\n${voteHelp}`)
  if (positionals.length > 0 && values.withdraw) throw new UsageError('--withdraw takes no candidates')
  const client = await adminClient(values, 'votes')
  const r = await client.call<{ id: string }>('stake_vote', { candidates: positionals })
  const detail = positionals.join(' ') || 'withdrawn'
  if (!values.wait) {
    console.log(`vote submitted: ${r.id} (${detail})`)
    return 0
  }
  return waitCommitted(client, r.id, 'vote', detail)
}
