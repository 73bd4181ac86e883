// Generated from rpc.discover by node/rpc/rpc-types.ts: do not edit (test/net/rpc-types.test.ts
// regenerates it with DITEN_WRITE_RPC_TYPES=1 and fails when it is out of date).
import type { OpenRpcDocument } from './openrpc-document.js'
import type { BulkResult, TwinCallResult, TwinView } from './twins.js'
import type { NodeStatus } from './types.js'

/** Every JSON-RPC method of a diten node: its params (by name) and, where typed, its result. */
export interface DitenMethods {
  /** the committee that certifies a height of a shard, public keys in validator order: the anchor a client checks certificates and twin proofs against */
  "chain_committee": { params: { shard: number; height: number }; result: unknown }
  /** a finalized block of a shard with its certificate (format "ids": transaction ids instead of transactions) */
  "chain_getBlock": { params: { shard: number; height: number; format?: "full" | "ids" }; result: unknown }
  /** the finalized head of a shard with its certificate */
  "chain_getHead": { params: { shard: number }; result: unknown }
  /** finalized headers of a shard, newest first: up to `limit` (≤ 100) at or below `to` (default: the head) */
  "chain_getHeaders": { params: { shard: number; to?: number; limit?: number }; result: unknown }
  /** the fault journal (faults applied and invariants checked, stamped with this node's heads) and this node's own switches */
  "chaos_journal": { params: { afterSeq?: number }; result: unknown }
  /** drop every peer connection and refuse new ones for ms milliseconds (nodes started with --chaos-control only) (admin API) */
  "chaos_partition": { params: { ms: number }; result: unknown }
  /** note a fault (start / end), a misbehaving node or an invariant check in the fault journal (fault-injection tools) (admin API) */
  "chaos_record": { params: { kind: "behaviour" | "fault" | "fault-end" | "invariant" | "note"; name: string; node?: string; detail?: string; ok?: boolean }; result: unknown }
  /** this node's fault-injection switches and what they have sent (counts, tx ids) (admin API) */
  "chaos_status": { params: Record<string, never>; result: unknown }
  /** epoch, committees, rounds, proposers, delegates and the reputation table */
  "consensus_status": { params: Record<string, never>; result: unknown }
  /** the global model M(round) as a DTW1 float32 blob (base64) with its hash; round 0 is M(0) */
  "fl_getModel": { params: { round: number }; result: unknown }
  /** an fl.update by its transaction id (with verdicts and outcome), or a local update on the tangle by its id */
  "fl_getUpdate": { params: { id: string }; result: unknown }
  /** the open round, its updates and verdicts, closed rounds with accepted/rejected members and reason codes, coins */
  "fl_status": { params: { fromRound?: number }; result: unknown }
  /** approve a pending membership proposal (its id from member_propose or consensus_status) (admin API) */
  "member_approve": { params: { proposal: string }; result: unknown }
  /** propose adding (name, publicKey, address) or removing (name) a member; this member approves it first (admin API) */
  "member_propose": { params: { action: "add" | "remove"; name: string; publicKey?: string; address?: string; dataSize?: number }; result: unknown }
  /** this node: identity, chain, uptime, data dir, member peers */
  "node_status": { params: Record<string, never>; result: NodeStatus }
  /** this API as an OpenRPC document (methods, params as JSON Schema) */
  "rpc.discover": { params: Record<string, never>; result: OpenRpcDocument }
  /** vote with this member's stake for up to maxVoteCandidates members by name (replaces its last vote; [] withdraws it) (admin API) */
  "stake_vote": { params: { candidates: string[] }; result: unknown }
  /** attach a local model update issued by this node (tips, PoW and signature done here) (admin API) */
  "tangle_attach": { params: { round: number; trainer: string; modelHash: string; dataSize: number; claimedAccuracyBp: number }; result: unknown }
  /** a tangle transaction with its weight, cumulative weight, state and approvers */
  "tangle_getTx": { params: { id: string }; result: unknown }
  /** the newest transactions this node received (newest first): parents, weight, cumulative weight, state, member, and when this node saw it confirmed */
  "tangle_recent": { params: { limit?: number }; result: unknown }
  /** count, tips, confirmed, pending solidification, orphaned, pruned */
  "tangle_stats": { params: Record<string, never>; result: unknown }
  /** the current tips */
  "tangle_tips": { params: Record<string, never>; result: unknown }
  /** bind a behaviour model to a twin: the global model of an FL round (or modelHash) and the property paths it reads (admin API) */
  "twin_bindModel": { params: { twinId: string; round: number; inputs: string[]; modelHash?: string; wait?: boolean }; result: TwinCallResult }
  /** a twin as this node holds it, or as it was at a revision; proof: true adds its proof (or of its absence) against the certified state root of its shard head */
  "twin_get": { params: { twinId: string; atRevision?: number; proof?: boolean }; result: TwinView }
  /** the committed changes of a twin in a revision range (at most 1000) */
  "twin_history": { params: { twinId: string; fromRevision?: number; toRevision?: number }; result: unknown }
  /** twins of every shard in id order: {namespace?, cursor? (last twinId seen), limit? (≤ 1000)} */
  "twin_list": { params: { namespace?: string; cursor?: string; limit?: number }; result: unknown }
  /** the records of a twin (seeds 000/001): device identity, data records, its model record, and the training-model records of its host member */
  "twin_records": { params: { twinId: string; rounds?: number }; result: unknown }
  /** register a twin hosted by this node's member: {twinId, definition, owner (device public key), attributes?, features?, wait?} (admin API) */
  "twin_register": { params: { twinId: string; definition: unknown; owner: string; attributes?: unknown; features?: unknown; wait?: boolean }; result: TwinCallResult }
  /** register a fleet of twins of one definition, hosted by this node's member: {definition, twins: [{twinId, owner, attributes?, features?}], wait?} → one transaction per shard and 64 KiB (admin API) */
  "twin_registerMany": { params: { definition: unknown; twins: ({ twinId: string; owner: string; attributes?: unknown; features?: unknown })[]; wait?: boolean }; result: BulkResult }
  /** retire a twin: a device-signed {tx}, or {twinId} signed by this node's member */
  "twin_retire": { params: { tx?: string; twinId?: string; wait?: boolean }; result: TwinCallResult }
  /** the next sequence number (nonce on the twin's shard) a device signs with, counting its pending calls */
  "twin_sequence": { params: { twinId: string; device: string }; result: { next: number } }
  /** set desired values: a device-signed {tx}, or {twinId, patch, ifRevision?} signed by this node's member (the host) */
  "twin_setDesired": { params: { tx?: string; twinId?: string; patch?: unknown; ifRevision?: number; wait?: boolean }; result: TwinCallResult }
  /** submit a twin.sync signed by the twin's device (hex); wait: true returns after commit with the new revision */
  "twin_sync": { params: { tx: string; wait?: boolean }; result: TwinCallResult }
  /** where a transaction is: pending, committed {shard, height, index}, rejected {code, message} or unknown */
  "tx_get": { params: { id: string }; result: unknown }
  /** the nonce a sender signs its next transaction on a shard with, counting its pending ones (the node's own transactions use the same counter) */
  "tx_nextNonce": { params: { sender: string; shard?: number }; result: { shard: number; next: number } }
  /** submit a signed transaction (hex of its canonical encoding); returns its id */
  "tx_submit": { params: { tx: string }; result: { id: string; shard: number } }
}

export type MethodName = keyof DitenMethods
