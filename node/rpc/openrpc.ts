/**
 * The API described as an OpenRPC document (https://spec.open-rpc.org), generated from the methods
 * as registered: each method's description, whether it is admin-only, and its by-name params as
 * JSON Schema derived from the very schema that checks them. Served by `rpc.discover`. Results are
 * described in docs/api.md, not here (handlers declare no result schema).
 */
import type { JsonSchema } from '../../ledger/index.js'
import type { RpcDispatcher } from './jsonrpc.js'
import type { OpenRpcDocument } from './openrpc-document.js'

export type { OpenRpcDocument }

export function openRpcDocument(d: RpcDispatcher, version: string): OpenRpcDocument {
  return {
    openrpc: '1.3.2',
    info: {
      title: 'diten JSON-RPC',
      version,
      description:
        'A diten node: POST / with JSON-RPC 2.0, params by name. Methods marked x-admin are answered only on the admin API (Authorization: Bearer <token>).',
    },
    methods: d.entries().map(([name, m]) => {
      const schema = m.params?.json
      const props = (schema?.properties ?? {}) as Record<string, JsonSchema>
      const required = new Set((schema?.required ?? []) as string[])
      return {
        name,
        description: m.description,
        paramStructure: 'by-name' as const,
        params: Object.entries(props).map(([p, s]) => ({ name: p, required: required.has(p), schema: s })),
        result: { name: 'result', schema: {} },
        'x-admin': typeof m.admin === 'function' ? ('depends on the params' as const) : m.admin === true,
      }
    }),
  }
}
