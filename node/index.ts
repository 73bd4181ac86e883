/** The `diten` package: the client SDK and the ledger's pure building blocks. */
export { DitenClient, RpcError } from './rpc/client.js'
export { TwinDevice, twins, verifiedTwin, type TwinCallResult, type TwinView, type TwinEventMessage } from './rpc/twins.js'
export { verifyTwinProof, twinProofFromJson, type TwinProof } from '../consensus/twin-proof.js'
export type { NodeStatus, MemberPeerStatus } from './rpc/types.js'
export * from '../ledger/index.js'
