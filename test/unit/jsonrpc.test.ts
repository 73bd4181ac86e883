import { describe, expect, it } from 'vitest'
import { RpcDispatcher, RpcCode } from '../../node/rpc/jsonrpc.js'
import { struct, str, optional, DitenError, ErrorCode } from '../../ledger/index.js'

function dispatcher() {
  const calls: string[] = []
  const d = new RpcDispatcher({ onCall: (m, r) => calls.push(`${m}:${r}`), onInternalError: () => undefined })
  d.register('node_status', { description: '', handler: () => ({ ok: true }) })
  d.register('echo', { description: '', params: struct({ text: str({ max: 10 }) }), handler: (p: { text: string }) => p.text })
  d.register('refuse', {
    description: '',
    handler: () => {
      throw new DitenError(ErrorCode.NOT_A_MEMBER, 'not today')
    },
  })
  d.register('crash', {
    description: '',
    handler: () => {
      throw new Error('boom')
    },
  })
  return { d, calls }
}

const call = async (body: unknown) => (await dispatcher().d.handleText(typeof body === 'string' ? body : JSON.stringify(body))) as any

describe('JSON-RPC dispatch', () => {
  it('answers a call', async () => {
    expect(await call({ jsonrpc: '2.0', id: 7, method: 'node_status' })).toEqual({ jsonrpc: '2.0', id: 7, result: { ok: true } })
    expect((await call({ jsonrpc: '2.0', id: 'a', method: 'echo', params: { text: 'hi' } })).result).toBe('hi')
  })
  it('parse error -32700', async () => {
    const r = await call('{"jsonrpc": "2.0", "method"')
    expect(r.error.code).toBe(RpcCode.PARSE_ERROR)
    expect(r.id).toBeNull()
    expect(r.error.message).toMatch(/not valid JSON/)
  })
  it('invalid request -32600', async () => {
    for (const body of [
      [],
      5,
      { jsonrpc: '1.0', id: 1, method: 'node_status' },
      { jsonrpc: '2.0', id: 1, method: 5 },
      { jsonrpc: '2.0', id: {}, method: 'x' },
      { jsonrpc: '2.0', id: 1, method: 'x', params: 'p' },
    ]) {
      expect((await call(body)).error.code, JSON.stringify(body)).toBe(RpcCode.INVALID_REQUEST)
    }
  })
  it('unknown method -32601 lists the methods', async () => {
    const r = await call({ jsonrpc: '2.0', id: 1, method: 'node_stats' })
    expect(r.error.code).toBe(RpcCode.METHOD_NOT_FOUND)
    expect(r.error.message).toContain('unknown method "node_stats"')
    expect(r.error.message).toContain('node_status')
  })
  it('invalid params -32602 names the field', async () => {
    expect((await call({ jsonrpc: '2.0', id: 1, method: 'node_status', params: { x: 1 } })).error.code).toBe(RpcCode.INVALID_PARAMS)
    const r = await call({ jsonrpc: '2.0', id: 1, method: 'echo', params: { text: 'far too long' } })
    expect(r.error.code).toBe(RpcCode.INVALID_PARAMS)
    expect(r.error.message).toContain('params.text')
    expect((await call({ jsonrpc: '2.0', id: 1, method: 'echo', params: ['hi'] })).error.code).toBe(RpcCode.INVALID_PARAMS)
  })
  it('refusals carry the reason code; crashes are internal errors', async () => {
    const r = await call({ jsonrpc: '2.0', id: 1, method: 'refuse' })
    expect(r.error.code).toBe(RpcCode.SERVER_ERROR)
    expect(r.error.data.code).toBe(ErrorCode.NOT_A_MEMBER)
    expect((await call({ jsonrpc: '2.0', id: 1, method: 'crash' })).error.code).toBe(RpcCode.INTERNAL_ERROR)
  })
  it('batches and notifications', async () => {
    const r = await call([
      { jsonrpc: '2.0', id: 1, method: 'node_status' },
      { jsonrpc: '2.0', method: 'node_status' },
      { jsonrpc: '2.0', id: 2, method: 'nope' },
    ])
    expect(r).toHaveLength(2)
    expect(r[0].result).toEqual({ ok: true })
    expect(r[1].error.code).toBe(RpcCode.METHOD_NOT_FOUND)
    expect(await call({ jsonrpc: '2.0', method: 'node_status' })).toBeUndefined()
  })
})

describe('scopes and batch costs', () => {
  it('an admin method is refused on the public API with UNAUTHORIZED and answered on the admin API; a per-call decision too', async () => {
    const d = new RpcDispatcher({ onCall: () => undefined, onInternalError: () => undefined })
    d.register('sign_it', { admin: true, description: '', handler: () => 'signed' })
    d.register('maybe', {
      admin: (p: { tx?: string }) => p.tx === undefined,
      description: '',
      params: struct({ tx: optional(str({ max: 10 })) }),
      handler: () => 'ok',
    })
    const on = async (admin: boolean, method: string, params?: object) =>
      (await d.handleText(JSON.stringify({ jsonrpc: '2.0', id: 1, method, ...(params ? { params } : {}) }), { admin })) as any
    expect((await on(false, 'sign_it')).error.data.code).toBe('UNAUTHORIZED')
    expect((await on(true, 'sign_it')).result).toBe('signed')
    expect((await on(false, 'maybe', {})).error.data.code).toBe('UNAUTHORIZED')
    expect((await on(false, 'maybe', { tx: 'ab' })).result).toBe('ok')
    // the public API's method list leaves out admin-only methods
    expect((await on(false, 'nope')).error.message).not.toContain('sign_it')
  })

  it('heavy calls are answered one per batch', async () => {
    const d = new RpcDispatcher({ onCall: () => undefined, onInternalError: () => undefined })
    d.register('big', { heavy: true, description: '', handler: () => 'x'.repeat(1000) })
    d.register('small', { description: '', handler: () => 1 })
    const r = (await d.handleText(
      JSON.stringify([1, 2, 3].map(id => ({ jsonrpc: '2.0', id, method: 'big' })).concat([{ jsonrpc: '2.0', id: 4, method: 'small' }])),
    )) as any[]
    expect(r.map(x => ('result' in x ? 'ok' : x.error.code))).toEqual(['ok', RpcCode.INVALID_REQUEST, RpcCode.INVALID_REQUEST, 'ok'])
  })
})
