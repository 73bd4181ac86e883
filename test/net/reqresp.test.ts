import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DitenError, ErrorCode } from '../../ledger/index.js'
import { testNet, waitFor, sleep, type TestNet } from '../helpers.js'

let net: TestNet

beforeAll(async () => {
  net = await testNet(2)
  await net.start(0)
  await net.start(1)
  await waitFor(() => net.nodes.every(n => n.status().memberPeers.connected === 1), 'two members to connect')
  const server = net.nodes[1]!.reqresp
  await server.handle('echo', req => req, { maxRequestBytes: 1000 })
  await server.handle('big', () => new Uint8Array(2 << 20))
  await server.handle('slow', async () => {
    await sleep(3000)
    return Uint8Array.of(1)
  })
  await server.handle('refuse', () => {
    throw new DitenError(ErrorCode.NOT_A_MEMBER, 'go away')
  })
})
afterAll(async () => {
  await net?.close()
})

async function failure(p: Promise<unknown>): Promise<DitenError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(DitenError)
    return e as DitenError
  }
  throw new Error('expected the request to fail')
}

describe('request/response', () => {
  const peer = () => net.nodes[1]!.peerId
  const client = () => net.nodes[0]!.reqresp

  it('answers a request', async () => {
    const res = await client().request(peer(), 'echo', Uint8Array.of(1, 2, 3))
    expect([...res]).toEqual([1, 2, 3])
    const empty = await client().request(peer(), 'echo', new Uint8Array(0))
    expect(empty.length).toBe(0)
  })

  it('refuses an oversized request with a reason', async () => {
    const e = await failure(client().request(peer(), 'echo', new Uint8Array(5000)))
    expect(e.code).toBe(ErrorCode.REQRESP_REMOTE_ERROR)
    expect(e.message).toContain('REQRESP_TOO_LARGE')
  })

  it('caps the response size on the client', async () => {
    const e = await failure(client().request(peer(), 'big', new Uint8Array(0), { maxResponseBytes: 1 << 20 }))
    expect(e.code).toBe(ErrorCode.REQRESP_TOO_LARGE)
  })

  it('times out', async () => {
    const started = Date.now()
    const e = await failure(client().request(peer(), 'slow', new Uint8Array(0), { timeoutMs: 400 }))
    expect(e.code).toBe(ErrorCode.REQRESP_TIMEOUT)
    expect(Date.now() - started).toBeLessThan(2500)
  })

  it('passes on a handler refusal', async () => {
    const e = await failure(client().request(peer(), 'refuse', new Uint8Array(0)))
    expect(e.code).toBe(ErrorCode.REQRESP_REMOTE_ERROR)
    expect(e.message).toContain('NOT_A_MEMBER: go away')
  })

  it('fails cleanly on an unknown protocol', async () => {
    const e = await failure(client().request(peer(), 'nope', new Uint8Array(0), { timeoutMs: 2000 }))
    expect(e.code).toBe(ErrorCode.REQRESP_PROTOCOL)
  })

  it('still serves after all of the above', async () => {
    const res = await client().request(peer(), 'echo', Uint8Array.of(9))
    expect([...res]).toEqual([9])
    expect(net.nodes[1]!.status().memberPeers.connected).toBe(1)
  })
})
