import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers.js'
import { isAlive, startCli, startDevnet, waitExit, type Devnet, type Proc } from './proc.js'
import { block, client, heads, memberKey, note, sameChain, txHex } from './chain-helpers.js'
import { RpcError } from '../../node/rpc/client.js'
import { generateKeypair, signTx, toHex } from '../../ledger/index.js'

let net: Devnet
let restarted: Proc | undefined
const apis = () => net.file.nodes.map(n => n.api)

beforeAll(async () => {
  // manual votes: the test signs notes with node-0's member key from nonce 0, which an automatic vote would take
  net = await startDevnet(['--nodes', '4', '--block-interval', '300', '--vote', 'manual'])
})
afterAll(async () => {
  restarted?.child.kill('SIGKILL')
  await net?.stop()
})

describe('4 nodes, 1 committee (separate processes)', () => {
  it('heights grow and every node holds identical headers and state roots', async () => {
    await waitFor(async () => (await Promise.all(apis().map(heads))).every(h => h[0]! >= 5), 'five blocks everywhere', 30_000)
    await sameChain(apis(), 0, 5)
  })

  it('commits submitted transactions and refuses bad ones with codes', async () => {
    const kp = await memberKey(net.file, 'node-0')
    const c = client(apis()[0]!)
    // the member's node signs its own transactions too (capability reports) with the same nonce
    // counter: take the next nonce from tx_nextNonce, and again if the node's own took it meanwhile
    const sender = toHex(kp.publicKey)
    const ids: string[] = []
    const nonces: number[] = []
    for (let k = 0; k < 20; k++) {
      for (let attempt = 0; ; attempt++) {
        const { next } = await c.call<{ next: number }>('tx_nextNonce', { sender, shard: 0 })
        const r = await c.call<{ id: string }>('tx_submit', { tx: txHex(note(net.file.chainId, kp, next)) }).catch((e: unknown) => e)
        if (!(r instanceof RpcError)) {
          ids.push((r as { id: string }).id)
          nonces.push(next)
          break
        }
        if (attempt >= 3 || !['TX_NONCE_USED', 'MEMPOOL_DUPLICATE'].includes(r.reason ?? '')) throw r
      }
    }
    for (const a of apis())
      await waitFor(
        async () => (await client(a).call<{ status: string }>('tx_get', { id: ids[19]! })).status === 'committed',
        'the last tx to commit everywhere',
        20_000,
      )
    for (const id of ids) expect((await client(apis()[2]!).call<{ status: string }>('tx_get', { id })).status).toBe('committed')

    const reason = async (params: Record<string, unknown>) => {
      const e = await c.call('tx_submit', params).catch((x: unknown) => x)
      expect(e).toBeInstanceOf(RpcError)
      return (e as RpcError).reason ?? String((e as RpcError).code)
    }
    expect(await reason({ tx: txHex(note(net.file.chainId, kp, nonces[3]!)) })).toBe('TX_NONCE_USED') // replay
    const forged = { ...note(net.file.chainId, kp, 1000), sig: note(net.file.chainId, kp, 1001).sig }
    expect(await reason({ tx: txHex(forged) })).toBe('TX_BAD_SIGNATURE')
    expect(await reason({ tx: txHex(note('other-chain', kp, 20)) })).toBe('TX_WRONG_CHAIN')
    const unknown = signTx({ ...note(net.file.chainId, kp, 20).body, kind: 'no.such' }, kp.secretKey)
    expect(await reason({ tx: txHex(unknown) })).toBe('TX_UNKNOWN_KIND')
    const stranger = generateKeypair()
    expect(await reason({ tx: txHex(note(net.file.chainId, stranger, 0)) })).toBe('TX_UNKNOWN_SENDER')
    expect(await reason({ tx: 'abcd' })).toBe('TX_MALFORMED')
    expect(await reason({ tx: 'ab'.repeat(69 * 1024) })).toBe('TX_TOO_LARGE')
    const notHex = await c.call('tx_submit', { tx: 'xyz' }).catch((x: unknown) => x)
    expect((notHex as RpcError).code).toBe(-32602)
    expect((notHex as RpcError).message).toContain('params.tx')
    const unknownId = await c.call<{ status: string }>('tx_get', { id: toHex(new Uint8Array(32)) })
    expect(unknownId.status).toBe('unknown')
    // nothing crashed
    for (const a of apis()) expect((await client(a).status()).memberPeers.connected).toBe(3)
  })

  it('keeps committing without a kill -9-ed node, which then restarts and catches up', async () => {
    const victim = net.file.nodes[1]!
    process.kill(victim.pid, 'SIGKILL')
    await waitFor(() => !isAlive(victim.pid), 'the victim to die')
    const others = apis().filter(a => a !== victim.api)
    const start = (await heads(others[0]!))[0]!
    await waitFor(
      async () => (await Promise.all(others.map(heads))).every(h => h[0]! >= start + 5),
      'three nodes to commit five more blocks',
      30_000,
    )
    restarted = startCli(['node', '--config', victim.config])
    const target = (await heads(others[0]!))[0]!
    await waitFor(
      async () => ((await heads(victim.api).catch(() => [0]))[0] ?? 0) >= target + 2,
      'the restarted node to catch up and follow',
      40_000,
    )
    const h = Math.min(...(await Promise.all(apis().map(heads))).map(x => x[0]!))
    await sameChain(apis(), 0, h)
  })

  it('each block carries the certificate of its parent', async () => {
    const b = await block(apis()[0]!, 0, 3)
    expect((b as any).block.lastCommit.height).toBe(2)
    expect((b as any).cert.height).toBe(3)
    expect((b as any).cert.sigs.length).toBeGreaterThanOrEqual(3)
  })

  it('stops cleanly', async () => {
    restarted!.child.kill('SIGTERM')
    expect((await waitExit(restarted!, 15_000)).code).toBe(0)
    restarted = undefined
  })
})
