/** The `diten` package: the client SDK and the ledger's pure building blocks. */
export { DitenClient, RpcError } from './rpc/client.js'
export type { NodeStatus, MemberPeerStatus } from './rpc/types.js'
export * from '../ledger/index.js'
