/**
 * Twin proofs (consensus/twin-proof.ts): a twin read from a node is proved against the certified
 * state root of its shard's head, so a client need not trust the node. The proof holds for the
 * twin and for an absent twin, survives its JSON form, and fails — with PROOF_INVALID naming the
 * link — for a changed record, a changed path, a root part, a header that is not the certified
 * one, another committee, too few signatures, another chain, and JSON that is not a proof.
 */
import { describe, expect, it } from 'vitest'
import { headerHash, signTx, toHex, type Block, type Certificate, type DitenError } from '../../../ledger/index.js'
import { committeeFor } from '../../../consensus/blocks.js'
import { precommitOf, signVote } from '../../../consensus/certificate.js'
import { twinProof, twinProofFromJson, twinProofToJson, verifyTwinProof, type TwinProof } from '../../../consensus/twin-proof.js'
import { twinRegisterCodec } from '../../../twin/contract.js'
import { fixture } from './fixtures.js'

function failure(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    return `${(e as DitenError).code}: ${(e as Error).message}`
  }
  return 'valid'
}

describe('twin proofs against a certified state root', () => {
  const f = fixture(4, 1)
  const c = committeeFor(f.view, 0, 1, undefined)!
  const def = JSON.stringify({ id: 'dtmi:a:b;1', features: { s: { properties: { x: { type: 'integer' } } } } })
  const reg = (twinId: string, nonce: number) =>
    signTx(
      {
        chainId: 'unit',
        kind: 'twin.register',
        sender: f.keys[0]!.publicKey,
        nonce,
        payload: twinRegisterCodec.encode({
          twinId,
          definition: def,
          owner: toHex(f.keys[1]!.publicKey),
          attributes: '{}',
          features: '{}',
        }),
      },
      f.keys[0]!.secretKey,
    )
  const built = f.firstBuilt(c, { time: Date.now(), candidates: Array.from({ length: 40 }, (_, i) => reg(`acme:pump-${i}`, i)) })
  const certify = (block: Block, signers = [0, 1, 2]): Certificate => {
    const v = { shard: 0, height: block.header.height, round: block.header.round, blockHash: headerHash(block.header) }
    return {
      ...v,
      sigs: signers.map(i => ({ validator: i, sig: signVote(precommitOf('unit', v, c.keys[i]!), f.keys[c.members[i]!]!.secretKey) })),
    }
  }
  const cert = certify(built.block)
  const trust = { chainId: 'unit', committee: c.keys }
  const proofOf = (twinId: string) => twinProof(built.state, built.block.header, cert, c.keys, twinId)

  it('proves a twin and the absence of another, also through the JSON form', () => {
    expect(built.block.txs).toHaveLength(40)
    const p = proofOf('acme:pump-7')
    const record = verifyTwinProof(p, trust)
    expect(record).toEqual(built.state.twins.get('acme:pump-7'))
    expect(verifyTwinProof(twinProofFromJson(JSON.parse(JSON.stringify(twinProofToJson(p)))), trust)).toEqual(record)
    const absent = proofOf('acme:nobody')
    expect(absent.record).toBeUndefined()
    expect(verifyTwinProof(absent, trust)).toBeUndefined()
    expect(verifyTwinProof(twinProofFromJson(JSON.parse(JSON.stringify(twinProofToJson(absent)))), trust)).toBeUndefined()
  })

  it('fails on every link that does not hold', () => {
    const p = proofOf('acme:pump-7')
    const other = proofOf('acme:pump-8')
    const bad = (q: Partial<TwinProof>, t = trust) => failure(() => verifyTwinProof({ ...p, ...q }, t))
    const flip = (b: Uint8Array) => Uint8Array.from(b, (x, i) => (i === 5 ? x ^ 1 : x))
    // a record changed in any byte, or another twin's record under this id
    expect(bad({ record: flip(p.record!) })).toMatch(/PROOF_INVALID: .*(does not decode|not under the twin root|record is of)/)
    expect(bad({ record: other.record! })).toMatch(/PROOF_INVALID: .*record is of acme:pump-8/)
    // "it does not exist" for a twin that does
    expect(bad({ record: undefined })).toMatch(/PROOF_INVALID: .*does not show the twin absent/)
    expect(bad({ siblings: p.siblings.map((s, i) => (i === 0 ? flip(s) : s)) })).toMatch(/not under the twin root/)
    // a root part, the header, the chain
    expect(bad({ roots: { ...p.roots, meta: flip(p.roots.meta) } })).toMatch(/do not hash to the header's stateRoot/)
    expect(bad({ header: { ...p.header, time: p.header.time + 1 } })).toMatch(/CERT_INVALID|certifies another block/)
    expect(bad({ header: { ...p.header, chainId: 'other' } })).toMatch(/of chain other/)
    expect(bad({}, { chainId: 'other', committee: c.keys })).toMatch(/not other/)
    // a committee the client does not trust, or a certificate short of a quorum
    const strangers = fixture(4, 1).keys.map(k => k.publicKey)
    expect(bad({ committee: strangers }, { chainId: 'unit', committee: strangers })).toMatch(/bad signature/)
    expect(bad({ committee: strangers })).toMatch(/not the one you trust/)
    expect(bad({ cert: certify(built.block, [0, 1]) })).toMatch(/2 signatures, 3 needed/)
  })

  it('refuses JSON that is not a proof, with PROOF_INVALID', () => {
    const j = twinProofToJson(proofOf('acme:pump-1'))
    for (const hostile of [
      null,
      'proof',
      { ...j, siblings: ['zz'] },
      { ...j, siblings: Array.from({ length: 257 }, () => '00'.repeat(32)) },
      { ...j, header: 'abc' },
      { ...j, header: '00' },
      { ...j, cert: '' },
      { ...j, extra: 1 },
    ])
      expect(failure(() => twinProofFromJson(hostile))).toMatch(/^PROOF_INVALID: not a twin proof/)
  })
})
