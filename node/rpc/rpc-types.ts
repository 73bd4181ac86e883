/**
 * TypeScript types of the API's methods, written from its OpenRPC document (rpc.discover): each
 * method's by-name params as a TS type derived from their JSON Schema, and its result where the
 * client has a type for it. The output is node/rpc/methods.ts, which test/net/rpc-types.test.ts
 * keeps equal to what the running node describes.
 */
import type { JsonSchema } from '../../ledger/index.js'
import type { OpenRpcDocument } from './openrpc-document.js'

/** result types the client knows, by method (the rest are `unknown`) */
const RESULTS: Record<string, string> = {
  node_status: 'NodeStatus',
  twin_get: 'TwinView',
  twin_sync: 'TwinCallResult',
  twin_setDesired: 'TwinCallResult',
  twin_retire: 'TwinCallResult',
  twin_register: 'TwinCallResult',
  twin_bindModel: 'TwinCallResult',
  twin_registerMany: 'BulkResult',
  twin_sequence: '{ next: number }',
  tx_submit: '{ id: string; shard: number }',
  tx_nextNonce: '{ shard: number; next: number }',
  'rpc.discover': 'OpenRpcDocument',
}

export function tsType(s: JsonSchema | undefined): string {
  if (!s || Object.keys(s).filter(k => k !== 'description').length === 0) return 'unknown'
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map(v => JSON.stringify(v)).join(' | ')
  switch (s.type) {
    case 'integer':
    case 'number':
      return 'number'
    case 'string':
      return 'string'
    case 'boolean':
      return 'boolean'
    case 'array': {
      const inner = tsType(s.items as JsonSchema | undefined)
      return inner.includes(' ') ? `(${inner})[]` : `${inner}[]`
    }
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, JsonSchema>
      const required = new Set((s.required ?? []) as string[])
      const fields = Object.entries(props).map(
        ([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}${required.has(k) ? '' : '?'}: ${tsType(v)}`,
      )
      return fields.length ? `{ ${fields.join('; ')} }` : 'Record<string, never>'
    }
    default:
      return 'unknown'
  }
}

/** The text of node/rpc/methods.ts for this document. */
export function methodsModule(doc: OpenRpcDocument): string {
  const lines = doc.methods.map(m => {
    const params = m.params.length
      ? `{ ${m.params.map(p => `${/^[A-Za-z_$][\w$]*$/.test(p.name) ? p.name : JSON.stringify(p.name)}${p.required ? '' : '?'}: ${tsType(p.schema)}`).join('; ')} }`
      : 'Record<string, never>'
    return `  /** ${m.description.replace(/\*\//g, '* /')}${m['x-admin'] === true ? ' (admin API)' : ''} */\n  ${JSON.stringify(m.name)}: { params: ${params}; result: ${RESULTS[m.name] ?? 'unknown'} }`
  })
  return `// Generated from rpc.discover by node/rpc/rpc-types.ts: do not edit (test/net/rpc-types.test.ts
// regenerates it with DITEN_WRITE_RPC_TYPES=1 and fails when it is out of date).
import type { OpenRpcDocument } from './openrpc-document.js'
import type { BulkResult, TwinCallResult, TwinView } from './twins.js'
import type { NodeStatus } from './types.js'

/** Every JSON-RPC method of a diten node: its params (by name) and, where typed, its result. */
export interface DitenMethods {
${lines.join('\n')}
}

export type MethodName = keyof DitenMethods
`
}
