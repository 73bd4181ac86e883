/**
 * Equivocation evidence (Cosmos style): two messages signed by one key for the same
 * (shard, height, round, step) naming different blocks. Anyone may submit it; it is checked
 * against the signer's key alone, so it stays valid however old the committee is.
 */
import {
  DitenError,
  ErrorCode,
  bytesEqual,
  defineCodec,
  oneOf,
  bytes,
  struct,
  taggedHash,
  concatBytes,
  verifySignature,
  type Infer,
} from '../ledger/index.js'
import {
  voteCodec,
  proposalStubCodec,
  signedVoteType,
  signedProposalStubType,
  type SignedVote,
  type SignedProposalStub,
} from '../ledger/chain/block.js'

export const VOTE_DOMAIN = 'vote'
export const PROPOSAL_DOMAIN = 'proposal'

const signedVoteCodec = defineCodec('signedVote', signedVoteType, 512)
const signedStubCodec = defineCodec('signedProposalStub', signedProposalStubType, 1024)

export const evidencePayloadType = struct({
  kind: oneOf(['vote', 'proposal'] as const),
  a: bytes({ max: 1024 }),
  b: bytes({ max: 1024 }),
})
export type EvidencePayload = Infer<typeof evidencePayloadType>

export interface Offence {
  offender: Uint8Array
  shard: number
  height: number
  round: number
  step: number
  /** unique per offence: the same double vote is punished once */
  key: Uint8Array
}

function bad(message: string): never {
  throw new DitenError(ErrorCode.TX_BAD_EVIDENCE, message)
}

export function voteEvidence(a: SignedVote, b: SignedVote): EvidencePayload {
  return { kind: 'vote', a: signedVoteCodec.encode(a), b: signedVoteCodec.encode(b) }
}
export function proposalEvidence(a: SignedProposalStub, b: SignedProposalStub): EvidencePayload {
  return { kind: 'proposal', a: signedStubCodec.encode(a), b: signedStubCodec.encode(b) }
}

/** Checks evidence; returns the offence or throws TX_BAD_EVIDENCE saying what is wrong. */
export function checkEvidence(e: EvidencePayload, chainId: string): Offence {
  let offender: Uint8Array, shard: number, height: number, round: number, step: number
  try {
    if (e.kind === 'vote') {
      const a = signedVoteCodec.decode(e.a)
      const b = signedVoteCodec.decode(e.b)
      const [va, vb] = [a.vote, b.vote]
      if (va.chainId !== chainId || vb.chainId !== chainId) bad('votes of another chain')
      if (!bytesEqual(va.validator, vb.validator)) bad('votes by different validators')
      if (va.shard !== vb.shard || va.height !== vb.height || va.round !== vb.round || va.type !== vb.type) bad('votes for different steps')
      if (bytesEqual(va.blockHash, vb.blockHash)) bad('the votes do not conflict')
      if (!verifySignature(va.validator, VOTE_DOMAIN, voteCodec.encode(va), a.sig)) bad('first vote signature is invalid')
      if (!verifySignature(vb.validator, VOTE_DOMAIN, voteCodec.encode(vb), b.sig)) bad('second vote signature is invalid')
      ;({ validator: offender, shard, height, round } = va)
      step = 1 + va.type
    } else {
      const a = signedStubCodec.decode(e.a)
      const b = signedStubCodec.decode(e.b)
      const [pa, pb] = [a.stub, b.stub]
      if (pa.chainId !== chainId || pb.chainId !== chainId) bad('proposals of another chain')
      if (!bytesEqual(pa.proposer, pb.proposer)) bad('proposals by different proposers')
      if (pa.shard !== pb.shard || pa.height !== pb.height || pa.round !== pb.round) bad('proposals for different rounds')
      if (bytesEqual(pa.blockHash, pb.blockHash)) bad('the proposals do not conflict')
      if (!verifySignature(pa.proposer, PROPOSAL_DOMAIN, proposalStubCodec.encode(pa), a.sig)) bad('first proposal signature is invalid')
      if (!verifySignature(pb.proposer, PROPOSAL_DOMAIN, proposalStubCodec.encode(pb), b.sig)) bad('second proposal signature is invalid')
      ;({ proposer: offender, shard, height, round } = pa)
      step = 1
    }
  } catch (err) {
    if (err instanceof DitenError && err.code === ErrorCode.TX_BAD_EVIDENCE) throw err
    bad(`undecodable evidence: ${(err as Error).message}`)
  }
  const w = new Uint8Array(20)
  const dv = new DataView(w.buffer)
  dv.setUint32(0, shard)
  dv.setFloat64(4, height)
  dv.setUint32(12, round)
  dv.setUint32(16, step)
  return { offender, shard, height, round, step, key: taggedHash('offence', concatBytes(offender, w)) }
}
