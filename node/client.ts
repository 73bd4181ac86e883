/**
 * `diten/client`: what an application or a device needs to talk to diten nodes, without the node
 * itself (no libp2p, LevelDB, TensorFlow.js, logging or metrics are imported; architecture.test.ts
 * checks it). Calls go over JSON-RPC on HTTP; device calls are signed here with the device's key.
 */
export { DitenClient, RpcError } from './rpc/client.js'
export {
  TwinDevice,
  twins,
  verifiedTwin,
  type TwinCallResult,
  type TwinView,
  type TwinEventMessage,
  type BulkResult,
  type WatchOptions,
} from './rpc/twins.js'
export { importFleet, type FleetTwin, type FleetProgress, type FleetResult } from './rpc/fleet.js'
export { verifyTwinProof, twinProofFromJson, type TwinProof } from '../consensus/twin-proof.js'
export type { NodeStatus, MemberPeerStatus } from './rpc/types.js'
export type { DitenMethods, MethodName } from './rpc/methods.js'
export type { OpenRpcDocument } from './rpc/openrpc-document.js'
// keys and signing: a device or an app signs its own transactions
export { generateKeypair, keypairFromSecret, type Keypair } from '../ledger/keys.js'
export { signTx, signedTxCodec, txBodyCodec, txId, TX_SIG_DOMAIN, type SignedTx, type TxBody } from '../ledger/chain/tx.js'
export { toHex, fromHex } from '../ledger/bytes.js'
export { DitenError, ErrorCode } from '../ledger/errors.js'
export { canonicalJson, type Json } from '../twin/json.js'
