/**
 * A block that needs what a validator does not hold yet — another shard's linked header, a block
 * time still ahead of its clock — is not invalid: validateBlock says BLOCK_NOT_YET, a proposal is
 * answered 'wait' (never remembered as invalid), and once the header has arrived or the clock has
 * caught up the same block validates. Before, the first answer was kept: two honest members that
 * saw a cross-linked header late refused for ever a block the other two had locked on, and the
 * shard stopped (seen in an 8-node FL run under load: shard 1 stuck at height 12).
 */
import { describe, expect, it } from 'vitest'
import { type Block, type Certificate, ErrorCode, headerHash, type DitenError } from '../../../ledger/index.js'
import { MAX_CLOCK_DRIFT_MS, committeeFor, validateBlock, type Committee } from '../../../consensus/blocks.js'
import { precommitOf, signVote } from '../../../consensus/certificate.js'
import { awaitDependencies, NOT_YET_DELAYS_MS, validateProposal } from '../../../node/chain/proposals.js'
import { createLogger } from '../../../node/logger.js'
import { fixture } from './fixtures.js'

const logger = createLogger({ level: 'silent', name: 't' })

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    return (e as DitenError).code
  }
  return 'valid'
}

describe('a block that cannot be judged yet', () => {
  const f = fixture(8, 2)
  const c0 = committeeFor(f.view, 0, 1, undefined)!
  const c1 = committeeFor(f.view, 1, 1, undefined)!
  const build = (shard: number, c: Committee, links: { header: Block['header']; cert: Certificate }[], time = Date.now()) =>
    f.firstBlock(c, { shard, time, links })
  const certify = (c: Committee, block: Block): Certificate => {
    const cert = { shard: block.header.shard, height: block.header.height, round: block.header.round, blockHash: headerHash(block.header) }
    return {
      ...cert,
      sigs: [0, 1, 2].map(v => ({ validator: v, sig: signVote(precommitOf('unit', cert, c.keys[v]!), f.keys[c.members[v]!]!.secretKey) })),
    }
  }
  const base = (shard: number, c: Committee) => ({
    view: f.view,
    state: f.states[shard]!,
    head: undefined,
    prevCommittee: undefined,
    committee: c,
  })

  it('links a header of another shard this node has not finalized: BLOCK_NOT_YET, then valid once it arrives', () => {
    expect(c0.members).toHaveLength(4)
    const b0 = build(0, c0, [])
    f.headers.set('0:1', b0.header)
    const b1 = build(1, c1, [{ header: b0.header, cert: certify(c0, b0) }])
    expect(b1.header.crossLinks.map(l => [l.shard, l.height])).toEqual([[0, 1]])
    // a validator that has not applied shard 0's height 1 yet
    f.headers.delete('0:1')
    const validate = () =>
      validateBlock({ view: f.view, block: b1, state: f.states[1]!, prev: undefined, prevCommittee: undefined, committee: c1 })
    expect(codeOf(validate)).toBe(ErrorCode.BLOCK_NOT_YET)
    expect(validateProposal(base(1, c1), b1, logger)).toBe('wait')
    // shard 0's block arrives: the same block is valid
    f.headers.set('0:1', b0.header)
    expect(codeOf(validate)).toBe('valid')
    expect(validateProposal(base(1, c1), b1, logger)).not.toBeNull()
    // a header that is not the one this node finalized stays invalid for good
    const other = build(0, c0, [], b0.header.time + 1)
    const forged = build(1, c1, [{ header: other.header, cert: certify(c0, other) }])
    expect(
      codeOf(() =>
        validateBlock({ view: f.view, block: forged, state: f.states[1]!, prev: undefined, prevCommittee: undefined, committee: c1 }),
      ),
    ).toBe(ErrorCode.BLOCK_INVALID)
    expect(validateProposal(base(1, c1), forged, logger)).toBeNull()
  })

  it('carries a time ahead of the clock: BLOCK_NOT_YET until the clock has caught up', () => {
    const ahead = Date.now() + MAX_CLOCK_DRIFT_MS + 60_000
    const b = build(0, c0, [], ahead)
    const at = (now: number) => () =>
      validateBlock({ view: f.view, block: b, state: f.states[0]!, prev: undefined, prevCommittee: undefined, committee: c0, now })
    expect(codeOf(at(Date.now()))).toBe(ErrorCode.BLOCK_NOT_YET)
    expect(codeOf(at(ahead - MAX_CLOCK_DRIFT_MS))).toBe('valid')
  })

  it('is looked at again a bounded number of times, about one propose timeout in all, fetching blobs meanwhile', async () => {
    let fetched = 0
    const fetch = async () => {
      fetched++
    }
    expect(NOT_YET_DELAYS_MS.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(f.genesis.params.consensus.timeoutProposeMs + 500)
    await awaitDependencies(0, fetch)
    expect(fetched).toBe(1)
    expect(awaitDependencies(NOT_YET_DELAYS_MS.length, fetch)).toBeUndefined()
    // a failing fetch does not end the wait early or throw
    await expect(awaitDependencies(0, () => Promise.reject(new Error('no peer')))).resolves.toBeUndefined()
  })
})
