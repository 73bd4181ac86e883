/**
 * node/rpc/methods.ts (the typed methods of DitenClient.request) equals what a running node
 * describes with rpc.discover; DITEN_WRITE_RPC_TYPES=1 rewrites it.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { DitenClient } from '../../node/rpc/client.js'
import type { OpenRpcDocument } from '../../node/rpc/openrpc.js'
import { methodsModule, tsType } from '../../node/rpc/rpc-types.js'
import { testNet, type TestNet } from '../helpers.js'

let net: TestNet | undefined
afterAll(async () => {
  await net?.close()
})

const FILE = 'node/rpc/methods.ts'

describe('typed RPC methods', () => {
  it('JSON Schema to TypeScript', () => {
    expect(
      tsType({
        type: 'object',
        properties: { a: { type: 'integer' }, b: { type: 'array', items: { enum: ['x', 'y'] } } },
        required: ['a'],
      }),
    ).toBe('{ a: number; b?: ("x" | "y")[] }')
    expect(tsType({})).toBe('unknown')
  })

  it('node/rpc/methods.ts is what the node describes', async () => {
    net = await testNet(1)
    const node = await net.start(0)
    const doc = await new DitenClient(node.apiUrl).call<OpenRpcDocument>('rpc.discover')
    const text = methodsModule(doc)
    if (process.env.DITEN_WRITE_RPC_TYPES) writeFileSync(FILE, text)
    expect(
      readFileSync(FILE, 'utf8'),
      `${FILE} is out of date: run DITEN_WRITE_RPC_TYPES=1 npx vitest run test/net/rpc-types.test.ts`,
    ).toBe(text)
    expect(doc.methods.length).toBeGreaterThan(30)
    // typed calls (checked by the type-check of the tests): params by name, results where typed
    const c = new DitenClient(node.apiUrl)
    const s = await c.request('node_status')
    expect(s.name).toBe('node-0')
    const seq = await c.request('twin_sequence', { twinId: 'a:b', device: '00'.repeat(32) })
    expect(seq.next).toBe(0)
    // @ts-expect-error twin_get needs a twinId
    await expect(c.request('twin_get', {})).rejects.toThrow(/twinId/)
    // @ts-expect-error no such param
    await expect(c.request('chain_getHead', { shard: 0, tip: true })).rejects.toThrow(/unknown field/)
  })
})
