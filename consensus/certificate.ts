/** Commit certificates: 2f+1 precommit signatures of the committee over one block hash. */
import {
  DitenError,
  ErrorCode,
  bytesEqual,
  verifySignature,
  sign,
  type Certificate,
  type Vote,
  voteCodec,
  VoteType,
} from '../ledger/index.js'
import { quorum } from './tendermint/machine.js'
import { VOTE_DOMAIN } from './evidence.js'

export function precommitOf(
  chainId: string,
  cert: { shard: number; height: number; round: number; blockHash: Uint8Array },
  validator: Uint8Array,
): Vote {
  return {
    chainId,
    shard: cert.shard,
    height: cert.height,
    round: cert.round,
    type: VoteType.precommit,
    blockHash: cert.blockHash,
    validator,
  }
}

export function signVote(vote: Vote, secretKey: Uint8Array): Uint8Array {
  return sign(secretKey, VOTE_DOMAIN, voteCodec.encode(vote))
}

export function voteSignatureValid(vote: Vote, sig: Uint8Array): boolean {
  return verifySignature(vote.validator, VOTE_DOMAIN, voteCodec.encode(vote), sig)
}

/** Throws CERT_INVALID unless `cert` holds a quorum of valid committee signatures. */
export function verifyCertificate(
  chainId: string,
  cert: Certificate,
  committee: Uint8Array[],
  expect: { shard: number; height: number; blockHash?: Uint8Array },
): void {
  const fail = (why: string): never => {
    throw new DitenError(ErrorCode.CERT_INVALID, `certificate for shard ${cert.shard} height ${cert.height}: ${why}`)
  }
  if (cert.shard !== expect.shard || cert.height !== expect.height) fail(`expected shard ${expect.shard} height ${expect.height}`)
  if (expect.blockHash && !bytesEqual(cert.blockHash, expect.blockHash)) fail('it certifies another block')
  const seen = new Set<number>()
  for (const s of cert.sigs) {
    if (s.validator >= committee.length) fail(`validator index ${s.validator} outside a committee of ${committee.length}`)
    if (seen.has(s.validator)) fail(`validator ${s.validator} signed twice`)
    seen.add(s.validator)
    if (!voteSignatureValid(precommitOf(chainId, cert, committee[s.validator]!), s.sig)) fail(`bad signature of validator ${s.validator}`)
  }
  const need = quorum(committee.length)
  if (seen.size < need) fail(`${seen.size} signatures, ${need} needed`)
}
