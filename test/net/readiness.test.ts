/**
 * Liveness and readiness over HTTP (in process, 4 members): /livez answers, /readyz is 200 once
 * the node is connected and caught up, 503 with the reasons when a query asks for more, 400 on a
 * bad query.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { committingNet, type TestNet } from '../helpers.js'

let net: TestNet
beforeAll(async () => {
  net = await committingNet(4)
})
afterAll(async () => {
  await net?.close()
})

describe('readiness endpoints', () => {
  it('GET /livez answers; GET /readyz is 200 when connected and caught up, 503 with the reasons otherwise, 400 on a bad query', async () => {
    const url = net.nodes[0]!.apiUrl
    expect((await fetch(`${url}/livez`)).status).toBe(200)
    const ready = await fetch(`${url}/readyz`)
    const body = (await ready.json()) as { ready: boolean; peers: { connected: number; total: number }; heads: number[] }
    expect(ready.status, JSON.stringify(body)).toBe(200)
    expect(body).toMatchObject({ ready: true, peers: { connected: 3, total: 3 } })
    const more = await fetch(`${url}/readyz?minPeers=4`)
    expect(more.status).toBe(503)
    expect(((await more.json()) as { reasons: string[] }).reasons).toEqual(['connected to 3 of 3 other members (at least 4 wanted)'])
    const bad = await fetch(`${url}/readyz?maxBlocksBehind=soon`)
    expect(bad.status).toBe(400)
  })
})
