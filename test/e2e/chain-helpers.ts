/** Helpers for chain tests against real node processes. */
import { readFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { fromHex, keypairFromSecret, signTx, signedTxCodec, toHex, type Keypair, type SignedTx } from '../../ledger/index.js'
import { dataNote } from '../../consensus/state/txkinds.js'
import { DitenClient } from '../../node/rpc/client.js'
import type { DevnetFile } from '../../node/harness/devnet-file.js'

export const client = (api: string) => new DitenClient(api, { timeoutMs: 5000 })
/** The admin API of a devnet node (member-signed calls), with its bearer token. */
export const adminClient = (n: { admin: string; adminTokenFile: string }, timeoutMs = 40_000) =>
  DitenClient.admin(n.admin, n.adminTokenFile, { timeoutMs })

export async function heads(api: string): Promise<number[]> {
  return (await client(api).status()).heads
}

export async function memberKey(file: DevnetFile, name: string): Promise<Keypair> {
  const node = file.nodes.find(n => n.name === name)!
  const k = JSON.parse(await readFile(node.config.replace(/config\.json$/, 'node.key'), 'utf8')) as { secretKey: string }
  return keypairFromSecret(fromHex(k.secretKey))
}

export function note(chainId: string, kp: Keypair, nonce: number, text = `note ${nonce}`): SignedTx {
  return signTx({ chainId, kind: 'data.note', sender: kp.publicKey, nonce, payload: dataNote.codec.encode({ text }) }, kp.secretKey)
}

export const txHex = (tx: SignedTx) => toHex(signedTxCodec.encode(tx))

interface BlockJson {
  block: {
    header: { stateRoot: string; crossLinks: { shard: number; height: number; headerHash: string }[]; round: number; proposer: string }
  }
  cert: unknown
}

export async function block(api: string, shard: number, height: number): Promise<BlockJson> {
  return client(api).call<BlockJson>('chain_getBlock', { shard, height })
}

/** A digest of the header (identical headers ⇔ identical digests). */
export function headerDigest(b: BlockJson): string {
  return createHash('sha256').update(JSON.stringify(b.block.header)).digest('hex')
}

/** Asserts every node holds the same headers and state roots for heights 1..upTo of `shard`. */
export async function sameChain(apis: string[], shard: number, upTo: number): Promise<void> {
  for (let h = 1; h <= upTo; h++) {
    const digests = await Promise.all(apis.map(async a => headerDigest(await block(a, shard, h))))
    if (new Set(digests).size !== 1)
      throw new Error(`shard ${shard} height ${h}: nodes disagree (${digests.map(d => d.slice(0, 8)).join(' ')})`)
  }
}

export async function consensusStatus(api: string): Promise<any> {
  return client(api).call('consensus_status')
}

/**
 * Waits until every node has `blocks` blocks on shard 0 and `member` has had `turns` proposer
 * turns (turns come at random, weighted by the previous block hash); returns consensus_status.
 */
export async function waitForTurns(apis: string[], member: string, turns: number, blocks = 10): Promise<any> {
  const { waitFor } = await import('../helpers.js')
  await waitFor(async () => (await Promise.all(apis.map(heads))).every(h => h[0]! >= blocks), `${blocks} blocks`, 90_000)
  let st: any
  await waitFor(
    async () => {
      st = await consensusStatus(apis[0]!)
      return st.members.find((m: any) => m.name === member).counters.proposalsDue >= turns
    },
    `${turns} turns of ${member}`,
    90_000,
  )
  return st
}
