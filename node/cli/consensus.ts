/** `diten consensus`: the epoch, delegates, committees and every member's stake, votes, reputation and its terms. */
import { parseArgs } from 'node:util'
import { DitenClient } from '../rpc/client.js'
import { DEFAULT_DEVNET_DIR } from '../harness/devnet-file.js'
import { READ_FLAGS, readApi } from './api-client.js'
import { formatTable } from '../harness/table.js'

export const consensusHelp = `diten consensus [--devnet D | --api URL] [--json]   delegates, committees, stake, votes, reputation (default devnet ${DEFAULT_DEVNET_DIR})`

interface ConsensusStatus {
  epoch: number
  delegates: string[]
  shards: { shard: number; height: number; epoch: number; committee: string[]; proposer: string | null }[]
  members: {
    name: string
    stake: number
    votes: number
    reputationBp: number
    terms: { encBp: number; rouBp: number; propBp: number; histBp: number }
    jailedUntilEpoch: number
    removed: boolean
    committee: number | null
  }[]
}

const pct = (bp: number) => `${(bp / 100).toFixed(2)}%`

export async function runConsensus(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: READ_FLAGS })
  const st = await new DitenClient(await readApi(values), { timeoutMs: 5000 }).call<ConsensusStatus>('consensus_status')
  if (values.json) {
    console.log(JSON.stringify(st, null, 2))
    return 0
  }
  const delegates = new Set(st.delegates)
  console.log(`epoch ${st.epoch}: ${st.delegates.length} delegates (${st.delegates.join(' ')})`)
  for (const s of st.shards)
    console.log(`shard ${s.shard}  height ${s.height}  committee ${s.committee.join(' ')}  proposer ${s.proposer ?? '-'}`)
  console.log(
    formatTable(
      ['MEMBER', 'SEAT', 'STAKE', 'VOTES', 'REPUTATION', 'ENC', 'ROU', 'PROP', 'HIST', 'JAILED UNTIL', 'ASSIGNED SHARD'],
      st.members.map(m => [
        m.name,
        m.removed ? 'removed' : delegates.has(m.name) ? 'delegate' : 'standby',
        String(m.stake),
        String(m.votes),
        pct(m.reputationBp),
        pct(m.terms.encBp),
        pct(m.terms.rouBp),
        pct(m.terms.propBp),
        pct(m.terms.histBp),
        m.jailedUntilEpoch > st.epoch ? `epoch ${m.jailedUntilEpoch}` : '-',
        m.committee === null ? '-' : String(m.committee),
      ]),
    ),
  )
  return 0
}
