/**
 * `diten member`: membership at runtime. A member proposes adding an operator (from the
 * member.json its `diten keys new` wrote) or removing a member; the others approve; the change
 * applies once ≥ 2/3 of the live members approved it.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { DitenClient } from '../rpc/client.js'
import { DEFAULT_DEVNET_DIR } from '../harness/devnet-file.js'
import { formatTable } from '../harness/table.js'
import { ADMIN_FLAGS, READ_FLAGS, adminClient, readApi, waitCommitted } from './api-client.js'
import { UsageError, intFlag } from './errors.js'
import type { MemberFile } from './keys.js'

export const memberHelp = `diten member <command> …   membership changes (applied when ≥ 2/3 of the members approve)

  diten member propose add --member-file F [--data-size N] (--node NAME | --admin URL --token-file T) [--wait]
  diten member propose add --name N --key HEX --address MULTIADDR …
        propose adding the operator whose "diten keys new" wrote F (its member.json); the proposing
        member approves first. Prints the proposal id for the others.
  diten member propose remove --name N (--node NAME | --admin URL --token-file T) [--wait]
        propose removing member N: once applied, every node closes its connections and refuses its
        transactions (shard 0 at once, other shards from the next epoch)
  diten member approve <proposal> (--node NAME | --admin URL --token-file T) [--wait]
        approve a pending proposal
  diten member list [--devnet D | --api URL] [--json]
        members (address, seat) and pending proposals with their approvers

  --devnet D   devnet folder for --node and list (default ${DEFAULT_DEVNET_DIR})
  --wait       wait until the transaction is committed`

interface Status {
  epoch: number
  delegates: string[]
  configVersion: number
  members: { name: string; publicKey: string; removed: boolean; address: string | null }[]
  proposals: { id: string; action: string; name: string; approvers: string[]; epoch: number }[]
}

export async function runMember(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === 'propose') return propose(rest)
  if (sub === 'approve') return approve(rest)
  if (sub === 'list') return list(rest)
  throw new UsageError(`unknown member command "${sub ?? ''}"\n\n${memberHelp}`)
}

async function propose(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      ...ADMIN_FLAGS,
      'member-file': { type: 'string' },
      name: { type: 'string' },
      key: { type: 'string' },
      address: { type: 'string' },
      'data-size': { type: 'string' },
    },
  })
  const action = positionals[0]
  if (action !== 'add' && action !== 'remove') throw new UsageError(`say "propose add" or "propose remove"\n\n${memberHelp}`)
  let name = values.name
  let publicKey = values.key
  let address = values.address
  if (action === 'add' && values['member-file']) {
    let f: MemberFile
    try {
      f = JSON.parse(await readFile(values['member-file'], 'utf8')) as MemberFile
    } catch (e) {
      throw new UsageError(`--member-file ${values['member-file']}: ${(e as Error).message}`)
    }
    name ??= f.name
    publicKey ??= f.publicKey
    address ??= f.p2p
  }
  if (!name) throw new UsageError('name the member: --name N (or --member-file F for an add)')
  if (action === 'add' && (!publicKey || !address))
    throw new UsageError("an add needs the operator's member.json (--member-file) or --key and --address")
  const client = await adminClient(values, 'proposes')
  const params = {
    action,
    name,
    ...(publicKey ? { publicKey } : {}),
    ...(action === 'add' ? { address } : {}),
    ...(values['data-size'] ? { dataSize: intFlag(values['data-size'], 'data-size', 0, 0, Number.MAX_SAFE_INTEGER) } : {}),
  }
  const r = await client.call<{ id: string; proposal: string }>('member_propose', params)
  console.log(`proposal ${r.proposal}: ${action} ${name}`)
  console.log(`  the other members approve it with: diten member approve ${r.proposal} --node <member>`)
  return values.wait ? waitCommitted(client, r.id, 'proposal') : 0
}

async function approve(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: ADMIN_FLAGS,
  })
  const proposal = positionals[0]
  if (!proposal || positionals.length > 1) throw new UsageError(`name one proposal id\n\n${memberHelp}`)
  const client = await adminClient(values, 'approves')
  const r = await client.call<{ id: string }>('member_approve', { proposal })
  if (!values.wait) {
    console.log(`approval submitted: ${r.id}`)
    return 0
  }
  return waitCommitted(client, r.id, 'approval', proposal)
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: READ_FLAGS })
  const st = await new DitenClient(await readApi(values), { timeoutMs: 5000 }).call<Status>('consensus_status')
  if (values.json) {
    console.log(JSON.stringify({ configVersion: st.configVersion, members: st.members, proposals: st.proposals }, null, 2))
    return 0
  }
  const delegates = new Set(st.delegates)
  console.log(`config version ${st.configVersion}, epoch ${st.epoch}`)
  console.log(
    formatTable(
      ['MEMBER', 'SEAT', 'PUBLIC KEY', 'ADDRESS'],
      st.members.map(m => [
        m.name,
        m.removed ? 'removed' : delegates.has(m.name) ? 'delegate' : 'standby',
        `${m.publicKey.slice(0, 16)}…`,
        m.address ?? '(genesis: configured peers)',
      ]),
    ),
  )
  if (st.proposals.length === 0) console.log('no pending proposals')
  else
    console.log(
      formatTable(
        ['PROPOSAL', 'CHANGE', 'APPROVED BY', 'SINCE EPOCH'],
        st.proposals.map(p => [p.id, `${p.action} ${p.name}`, p.approvers.join(' '), String(p.epoch)]),
      ),
    )
  return 0
}
