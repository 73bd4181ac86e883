/**
 * The harness of bench:chain and bench:twin: a real devnet of N node processes, the
 * single-core ed25519 verify rate as the physical bound, pre-signing with node's signer (ed25519
 * is deterministic: the same bytes as noble's), an open-loop load generator over JSON-RPC batches,
 * and an observer that timestamps commits on node-0.
 */
import { Agent, request } from 'node:http'
import { createPrivateKey, randomBytes, sign as nodeSign, type KeyObject } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  keypairFromSecret,
  signedTxCodec,
  signingBytes,
  sign,
  toHex,
  txBodyCodec,
  txId,
  verifyRaw,
  TX_SIG_DOMAIN,
  type Keypair,
  type TxBody,
} from '../ledger/index.js'
import type { DevnetFile } from '../node/harness/devnet-file.js'
import { startLocalNetwork } from '../node/harness/local-network.js'
import { PORTS_PER_NODE, initNetwork } from '../node/harness/network.js'
import { readAdminToken } from '../node/rpc/token.js'
import { rate as measureRate } from './bench-util.js'

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
/**
 * JSON-RPC over kept-alive node:http connections (fetch costs the load generator several times
 * more CPU). Idle sockets are dropped after 3 s, before the server's 5 s keep-alive timeout.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 16, timeout: 3000 })
export const rpc = (api: string, body: unknown, token?: string): Promise<any> => post(api, JSON.stringify(body), token)

/** A node's admin API and its bearer token (member-signed calls such as twin_register). */
export async function adminOf(n: DevnetFile['nodes'][number]): Promise<{ url: string; token: string }> {
  return { url: n.admin, token: await readAdminToken(n.adminTokenFile) }
}

export function post(api: string, body: string, token?: string, retried = false): Promise<any> {
  return new Promise((resolve, reject) => {
    const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
    const req = request(
      api,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...auth } },
      res => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
          } catch (e) {
            reject(e)
          }
        })
        res.on('error', reject)
      },
    )
    // a kept-alive socket the server closed at that moment: send again on a fresh one (Node's documented pattern)
    req.on('error', (e: NodeJS.ErrnoException) =>
      req.reusedSocket && e.code === 'ECONNRESET' && !retried ? post(api, body, token, true).then(resolve, reject) : reject(e),
    )
    req.end(body)
  })
}

/** ed25519 verifications per second on one core, measured now. */
export async function verifyRate(): Promise<number> {
  const kp0 = keypairFromSecret(new Uint8Array(32).fill(9))
  const vmsg = signingBytes('bench', new Uint8Array(200))
  const vsig = sign(kp0.secretKey, 'bench', new Uint8Array(200))
  return measureRate(() => verifyRaw(kp0.publicKey, vmsg, vsig), 1000)
}

export interface BenchDevnet {
  file: DevnetFile
  cleanup(): Promise<void>
}

export async function startDevnet(o: { nodes: number; blockIntervalMs: number; runS: number }): Promise<BenchDevnet> {
  const dir = await mkdtemp(join(tmpdir(), 'diten-bench-'))
  // below Linux's ephemeral port range, so outgoing connections never take a node's port
  const basePort = 29_000 + PORTS_PER_NODE * Math.floor(Math.random() * 1500)
  const net = await initNetwork({
    dir,
    members: o.nodes,
    chainId: `diten-bench-${randomBytes(4).toString('hex')}`,
    host: '127.0.0.1',
    basePort,
    dataSize: 1000,
    logLevel: (process.env.BENCH_LOG_LEVEL as 'warn' | undefined) ?? 'warn',
    committees: 1,
    blockIntervalMs: o.blockIntervalMs,
    // the bench signs with the member keys from nonce 0: no automatic votes or reports taking those nonces
    vote: 'manual',
    capabilityReports: false,
  })
  const local = await startLocalNetwork(net, { readyTimeoutMs: 60_000 })
  // the nodes stop by themselves after the run, whatever happens to this process
  const deadline = setTimeout(() => void local.stop(), o.runS * 1000)
  deadline.unref()
  const cleanup = async () => {
    clearTimeout(deadline)
    await local.stop()
    // BENCH_KEEP=1 keeps the devnet folder (node logs) for a look afterwards
    if (process.env.BENCH_KEEP) console.log(`[bench] devnet kept in ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  }
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)))
  return { file: local.file, cleanup }
}

export function nodeSigner(kp: Keypair): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), kp.secretKey]),
    format: 'der',
    type: 'pkcs8',
  })
}

export interface Presigned {
  hex: string
  key: string
  node: number
  /** the signer (a device or account): its calls are sent one at a time, in nonce order */
  sender: string
}

export function presign(body: TxBody, signer: KeyObject, node: number): Presigned {
  const sig = new Uint8Array(nodeSign(null, signingBytes(TX_SIG_DOMAIN, txBodyCodec.encode(body)), signer))
  return { hex: toHex(signedTxCodec.encode({ body, sig })), key: toHex(txId(body)), node, sender: toHex(body.sender) }
}
