/**
 * What a chaos run checks afterwards, against the honest members' own answers (DESIGN §10):
 *
 *   safety     every honest node holds the same finalized header and certificate hash at every
 *              height of every shard (no fork, no second certificate for a height)
 *   integrity  nothing a misbehaving member forged, replayed or mis-patched was committed; every
 *              committed twin.sync is signed by the twin's owner with gap-free sequence numbers
 *   punishment members expected to be punished end slashed and jailed
 */
import { fromHex, type Genesis, shortId } from '../../../ledger/index.js'
import { twinSyncCodec } from '../../../twin/contract.js'
import type { DitenClient } from '../../rpc/client.js'
import type { Cluster } from './cluster.js'

interface BlockIds {
  block: { header: Record<string, unknown> & { height: number }; txIds: string[] }
  cert: { blockHash: string; round: number }
}
interface BlockFull {
  block: { txs: { body: { kind: string; sender: string; nonce: number; payload: string } }[] }
}

export interface SafetyReport {
  heightsChecked: number[]
  violations: string[]
}

/** Compares every honest node's headers and certificate hashes up to the lowest honest head. */
export async function checkSafety(cluster: Cluster, shards: number): Promise<SafetyReport> {
  const honest = cluster.honest().filter(m => m.state === 'up')
  const violations: string[] = []
  const heightsChecked: number[] = []
  const heads = await Promise.all(honest.map(async m => (await m.client.status()).heads))
  for (let s = 0; s < shards; s++) {
    const upTo = Math.min(...heads.map(h => h[s] ?? 0))
    heightsChecked.push(upTo)
    for (let h = 1; h <= upTo; h++) {
      const blocks = await Promise.all(honest.map(m => m.client.call<BlockIds>('chain_getBlock', { shard: s, height: h, format: 'ids' })))
      const headers = new Set(blocks.map(b => JSON.stringify(b.block.header)))
      const certs = new Set(blocks.map(b => b.cert.blockHash))
      if (headers.size !== 1)
        violations.push(`shard ${s} height ${h}: ${headers.size} different headers among ${honest.map(m => m.node.name).join(', ')}`)
      if (certs.size !== 1) violations.push(`shard ${s} height ${h}: certificates for ${certs.size} different blocks`)
    }
  }
  return { heightsChecked, violations }
}

export interface IntegrityReport {
  attackTxs: number
  attackTxsCommitted: number
  twinCallsScanned: number
  violations: string[]
}

/**
 * Attack transactions (ids from each misbehaving node's chaos_status) must not be committed;
 * every committed twin.sync must come from the twin's owner, each device's sequence numbers
 * without repeats or gaps.
 */
export async function checkIntegrity(cluster: Cluster, shards: number): Promise<IntegrityReport> {
  const reader = cluster.reachable()[0]!.client
  const violations: string[] = []
  let attackTxs = 0
  let attackTxsCommitted = 0
  for (const m of cluster.members.filter(x => x.behaviours.length > 0 && x.state === 'up')) {
    const st = await (await m.admin()).call<{ txIds: string[] }>('chaos_status').catch(() => ({ txIds: [] as string[] }))
    for (const id of new Set(st.txIds)) {
      attackTxs++
      const s = await reader.call<{ status: string }>('tx_get', { id })
      if (s.status === 'committed') {
        attackTxsCommitted++
        violations.push(`attack transaction ${shortId(id)}… from ${m.node.name} was committed`)
      }
    }
  }
  let twinCallsScanned = 0
  const owners = new Map<string, string>()
  for (let s = 0; s < shards; s++) {
    const head = (await reader.status()).heads[s] ?? 0
    const nextSeq = new Map<string, number>()
    for (let h = 1; h <= head; h++) {
      const b = await reader.call<BlockFull>('chain_getBlock', { shard: s, height: h })
      for (const tx of b.block.txs) {
        // devices send only twin calls, so a device's nonces are its sequence numbers
        if (tx.body.kind !== 'twin.sync') continue
        twinCallsScanned++
        const want = nextSeq.get(tx.body.sender) ?? tx.body.nonce
        if (tx.body.nonce !== want)
          violations.push(
            `shard ${s} height ${h}: ${tx.body.kind} from ${tx.body.sender.slice(0, 12)}… has sequence ${tx.body.nonce}, expected ${want}`,
          )
        nextSeq.set(tx.body.sender, tx.body.nonce + 1)
        const { twinId } = twinSyncCodec.decode(fromHex(tx.body.payload))
        if (!owners.has(twinId)) owners.set(twinId, (await reader.call<{ owner: string }>('twin_get', { twinId })).owner)
        if (owners.get(twinId) !== tx.body.sender)
          violations.push(`shard ${s} height ${h}: twin.sync of ${twinId} signed by ${tx.body.sender.slice(0, 12)}…, not its owner`)
      }
    }
  }
  return { attackTxs, attackTxsCommitted, twinCallsScanned, violations }
}

export interface PunishmentReport {
  checked: { node: string; stake: number; initialStake: number; jailedUntilEpoch: number; reputationBp: number; elected: boolean }[]
  violations: string[]
}

interface ConsensusStatus {
  epoch: number
  delegates: string[]
  members: { name: string; stake: number; jailedUntilEpoch: number; reputationBp: number }[]
}

/**
 * `punished` (equivocators): stake below the genesis stake and jailed at some point
 * (jailedUntil > 0); `distrusted` (poisoners): reputation at or below the election threshold
 * and not among the current delegates; `elected` (the votes' candidates, an added member): among
 * the current delegates.
 */
export async function checkPunishment(
  reader: DitenClient,
  g: Genesis,
  expect: { punished?: string[]; distrusted?: string[]; elected?: string[] },
): Promise<PunishmentReport> {
  const st = await reader.call<ConsensusStatus>('consensus_status')
  const threshold = g.params.reputation.thresholdBp
  const standing = (node: string) => {
    const m = st.members.find(x => x.name === node)!
    return {
      node,
      stake: m.stake,
      initialStake: g.members.find(x => x.name === node)?.stake ?? 0,
      jailedUntilEpoch: m.jailedUntilEpoch,
      reputationBp: m.reputationBp,
      elected: st.delegates.includes(node),
    }
  }
  const punished = (expect.punished ?? []).map(standing)
  const distrusted = (expect.distrusted ?? []).map(standing)
  const elected = (expect.elected ?? []).map(standing)
  const violations = [
    ...elected.filter(c => !c.elected).map(c => `${c.node} is not a delegate (delegates: ${st.delegates.join(' ')})`),
    ...punished
      .filter(c => !(c.stake < c.initialStake && c.jailedUntilEpoch > 0))
      .map(c => `${c.node} was not punished (stake ${c.stake} of ${c.initialStake}, jailed until epoch ${c.jailedUntilEpoch})`),
    ...distrusted
      .filter(c => !(c.reputationBp <= threshold && !c.elected))
      .map(c => `${c.node}: reputation ${c.reputationBp} bp (threshold ${threshold}), elected ${c.elected}`),
  ]
  return { checked: [...punished, ...distrusted, ...elected], violations }
}
