/**
 * Typed errors with bounded codes, grouped by domain (Lodestar's chain/errors/*): tests assert on
 * `code`, people read `message`, and `meta` carries typed context. Every error that can be
 * triggered by untrusted input is a DitenError.
 */
/** schema validation of decoded or parsed values */
export const SchemaCode = {
  SCHEMA_TYPE: 'SCHEMA_TYPE',
  SCHEMA_RANGE: 'SCHEMA_RANGE',
  SCHEMA_LENGTH: 'SCHEMA_LENGTH',
  SCHEMA_FORMAT: 'SCHEMA_FORMAT',
  SCHEMA_MISSING_FIELD: 'SCHEMA_MISSING_FIELD',
  SCHEMA_UNKNOWN_FIELD: 'SCHEMA_UNKNOWN_FIELD',
  SCHEMA_INVALID: 'SCHEMA_INVALID',
} as const

/** canonical binary encoding */
export const EncodingCode = {
  ENCODING_MALFORMED: 'ENCODING_MALFORMED',
  ENCODING_TOO_LARGE: 'ENCODING_TOO_LARGE',
  ENCODING_NON_CANONICAL: 'ENCODING_NON_CANONICAL',
} as const

/** keys and signatures */
export const CryptoCode = {
  CRYPTO_BAD_KEY: 'CRYPTO_BAD_KEY',
  CRYPTO_BAD_SIGNATURE: 'CRYPTO_BAD_SIGNATURE',
} as const

/** genesis and node configuration */
export const ConfigCode = {
  GENESIS_INVALID: 'GENESIS_INVALID',
  CONFIG_INVALID: 'CONFIG_INVALID',
  KEYFILE_INVALID: 'KEYFILE_INVALID',
  NOT_A_MEMBER: 'NOT_A_MEMBER',
} as const

/** storage */
export const StorageCode = {
  DB_CORRUPT: 'DB_CORRUPT',
  DB_MISMATCH: 'DB_MISMATCH',
  DB_CLOSED: 'DB_CLOSED',
} as const

/** peer-to-peer */
export const P2pCode = {
  REQRESP_TOO_LARGE: 'REQRESP_TOO_LARGE',
  REQRESP_TIMEOUT: 'REQRESP_TIMEOUT',
  REQRESP_PROTOCOL: 'REQRESP_PROTOCOL',
  REQRESP_REMOTE_ERROR: 'REQRESP_REMOTE_ERROR',
  GOSSIP_INVALID: 'GOSSIP_INVALID',
  PEER_WRONG_CHAIN: 'PEER_WRONG_CHAIN',
} as const

/** transactions (a rejected transaction says why) */
export const TxCode = {
  MEMPOOL_DUPLICATE: 'MEMPOOL_DUPLICATE',
  MEMPOOL_FULL: 'MEMPOOL_FULL',
  /** a call with wait: true was not committed in time (it may still commit; tx_get tells) */
  WAIT_TIMEOUT: 'WAIT_TIMEOUT',
  TX_MALFORMED: 'TX_MALFORMED',
  TX_TOO_LARGE: 'TX_TOO_LARGE',
  TX_WRONG_CHAIN: 'TX_WRONG_CHAIN',
  TX_UNKNOWN_KIND: 'TX_UNKNOWN_KIND',
  TX_BAD_PAYLOAD: 'TX_BAD_PAYLOAD',
  TX_BAD_SIGNATURE: 'TX_BAD_SIGNATURE',
  TX_UNKNOWN_SENDER: 'TX_UNKNOWN_SENDER',
  TX_NONCE_USED: 'TX_NONCE_USED',
  TX_NONCE_GAP: 'TX_NONCE_GAP',
  TX_WRONG_SHARD: 'TX_WRONG_SHARD',
  TX_INVALID: 'TX_INVALID',
  TX_BAD_EVIDENCE: 'TX_BAD_EVIDENCE',
  TX_DUPLICATE_EVIDENCE: 'TX_DUPLICATE_EVIDENCE',
  /** a nonce too far ahead of the sender's next one (the pool keeps a bounded look-ahead) */
  TX_NONCE_TOO_FAR: 'TX_NONCE_TOO_FAR',
  /** the transaction applied but left a state that is not valid (e.g. unencodable); dropped from the block */
  TX_BREAKS_STATE: 'TX_BREAKS_STATE',
  /** the transaction waited longer than the pool's bound for data it needs (e.g. a model blob) */
  TX_EXPIRED: 'TX_EXPIRED',
} as const

/** federated learning transactions (rule violations of an admitted update are recorded with FL_* rule codes) */
export const FlTxCode = {
  FL_WRONG_ROUND: 'FL_WRONG_ROUND',
  FL_DUPLICATE: 'FL_DUPLICATE',
  FL_NOT_VERIFIER: 'FL_NOT_VERIFIER',
  FL_UNKNOWN_UPDATE: 'FL_UNKNOWN_UPDATE',
  FL_DECIDED: 'FL_DECIDED',
  FL_DONE: 'FL_DONE',
  FL_BLOB_UNAVAILABLE: 'FL_BLOB_UNAVAILABLE',
  FL_UNCONFIRMED: 'FL_UNCONFIRMED',
  /** the sender does not train in the round (no registered data when the round opened) */
  FL_NOT_PARTICIPANT: 'FL_NOT_PARTICIPANT',
  /** the update went to a shard other than its member's committee for the round */
  FL_WRONG_COMMITTEE: 'FL_WRONG_COMMITTEE',
} as const

/** membership changes and capability reports */
export const MemberCode = {
  /** the change cannot apply to the current member table (name or key taken, unknown member, last member) */
  MEMBER_CHANGE_INVALID: 'MEMBER_CHANGE_INVALID',
  MEMBER_PROPOSAL_UNKNOWN: 'MEMBER_PROPOSAL_UNKNOWN',
  MEMBER_PROPOSAL_EXISTS: 'MEMBER_PROPOSAL_EXISTS',
  MEMBER_ALREADY_APPROVED: 'MEMBER_ALREADY_APPROVED',
  MEMBER_TOO_FEW_APPROVALS: 'MEMBER_TOO_FEW_APPROVALS',
  MEMBER_BAD_REPORT: 'MEMBER_BAD_REPORT',
} as const

/** digital twins (a refused twin call says which rule) */
export const TwinCode = {
  TWIN_UNKNOWN: 'TWIN_UNKNOWN',
  TWIN_EXISTS: 'TWIN_EXISTS',
  TWIN_NOT_OWNER: 'TWIN_NOT_OWNER',
  TWIN_STALE_SEQUENCE: 'TWIN_STALE_SEQUENCE',
  TWIN_REVISION_MISMATCH: 'TWIN_REVISION_MISMATCH',
  TWIN_BAD_PATCH: 'TWIN_BAD_PATCH',
  TWIN_BAD_DEFINITION: 'TWIN_BAD_DEFINITION',
  TWIN_RETIRED: 'TWIN_RETIRED',
  TWIN_TOO_LARGE: 'TWIN_TOO_LARGE',
  /** twin.bindModel names a hash that is not the global model M(round) known on the twin's shard */
  TWIN_MODEL_MISMATCH: 'TWIN_MODEL_MISMATCH',
} as const

/** blocks and consensus messages */
export const BlockCode = {
  BLOCK_INVALID: 'BLOCK_INVALID',
  /**
   * the block depends on something this node does not hold yet (another shard's linked header, an
   * epoch's election, a block time still ahead of its clock): not a verdict on the block — ask again later
   */
  BLOCK_NOT_YET: 'BLOCK_NOT_YET',
  CERT_INVALID: 'CERT_INVALID',
  /** a state proof (a twin against a certified state root, a state-sync chunk) does not hold */
  PROOF_INVALID: 'PROOF_INVALID',
  CONSENSUS_INVALID: 'CONSENSUS_INVALID',
  SYNC_FAILED: 'SYNC_FAILED',
} as const

/** tangle transactions */
export const TangleCode = {
  TANGLE_WRONG_CHAIN: 'TANGLE_WRONG_CHAIN',
  TANGLE_NOT_MEMBER: 'TANGLE_NOT_MEMBER',
  TANGLE_BAD_SIGNATURE: 'TANGLE_BAD_SIGNATURE',
  TANGLE_BAD_POW: 'TANGLE_BAD_POW',
  TANGLE_FROM_FUTURE: 'TANGLE_FROM_FUTURE',
  TANGLE_BAD_DATA: 'TANGLE_BAD_DATA',
  TANGLE_NO_TIPS: 'TANGLE_NO_TIPS',
  /** this node holds no device key of the trainer it was asked to attach for */
  TANGLE_NO_TRAINER_KEY: 'TANGLE_NO_TRAINER_KEY',
} as const

/** HTTP API access (the public and the admin API) */
export const ApiCode = {
  /** a method this node does not allow (e.g. fault injection without --chaos-control) */
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  NOT_FOUND: 'NOT_FOUND',
  /** an admin call without the admin API's bearer token, or on the public API */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** a POST whose Content-Type is not application/json */
  BAD_CONTENT_TYPE: 'BAD_CONTENT_TYPE',
  /** a Host header a loopback-bound API does not answer to (DNS rebinding) */
  BAD_HOST: 'BAD_HOST',
  /** too many connections, subscribers or requests from this client */
  RATE_LIMITED: 'RATE_LIMITED',
} as const

/** Every code of every domain. */
export const ErrorCode = {
  ...SchemaCode,
  ...EncodingCode,
  ...CryptoCode,
  ...ConfigCode,
  ...StorageCode,
  ...P2pCode,
  ...TxCode,
  ...FlTxCode,
  ...MemberCode,
  ...TwinCode,
  ...BlockCode,
  ...TangleCode,
  ...ApiCode,
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** A DitenError's context: typed per error class (SchemaError: path; GossipValidationError: action, reason; FlRuleError: rule). */
export type ErrorMeta = Record<string, unknown>

export class DitenError<M extends ErrorMeta = ErrorMeta> extends Error {
  readonly code: ErrorCode
  readonly meta: M
  constructor(code: ErrorCode, message: string, meta: M = {} as M) {
    super(message)
    this.name = 'DitenError'
    this.code = code
    this.meta = meta
  }
}

/** Schema errors carry the path of the offending field, e.g. `genesis.members[2].publicKey`. */
export class SchemaError extends DitenError<{ path: string }> {
  readonly path: string
  constructor(code: ErrorCode, path: string, problem: string) {
    super(code, `${path}: ${problem}`, { path })
    this.name = 'SchemaError'
    this.path = path
  }
}

export function isDitenError(e: unknown): e is DitenError {
  return e instanceof DitenError
}

/** Human-readable one-liner for any thrown value. */
export function describeError(e: unknown): string {
  if (e instanceof DitenError) return `${e.code}: ${e.message}`
  if (e instanceof Error) return e.message
  return String(e)
}
