/** The shape of the OpenRPC document `rpc.discover` returns (openrpc.ts makes it). */
import type { JsonSchema } from '../../ledger/index.js'

export interface OpenRpcDocument {
  openrpc: string
  info: { title: string; version: string; description: string }
  methods: {
    name: string
    description: string
    paramStructure: 'by-name'
    params: { name: string; required: boolean; schema: JsonSchema }[]
    result: { name: string; schema: JsonSchema }
    'x-admin': boolean | 'depends on the params'
  }[]
}
