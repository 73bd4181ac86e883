/** Reports equivocations this node sees, at most once per offender and epoch (one conviction jails it). */
import { defineCodec, describeError, toHex, type Genesis, shortId } from '../../ledger/index.js'
import { checkEvidence, evidencePayloadType, type EvidencePayload } from '../../consensus/evidence.js'
import { evidence as evidenceKind } from '../../consensus/state/txkinds.js'
import type { Logger } from '../logger.js'

const evidencePayloadCodec = defineCodec('evidence', evidencePayloadType, 4096)

export class EvidenceReporter {
  private readonly reported = new Set<string>()

  constructor(
    private readonly d: {
      genesis: Genesis
      epoch: () => number
      submitOwn: (kind: string, payload: Uint8Array) => Promise<unknown>
      logger: Logger
    },
  ) {}

  async report(e: EvidencePayload): Promise<void> {
    let offence: ReturnType<typeof checkEvidence>
    try {
      offence = checkEvidence(e, this.d.genesis.chainId)
    } catch {
      return
    }
    const key = `${toHex(offence.offender)}:${this.d.epoch()}`
    if (this.reported.has(key)) return
    this.reported.add(key)
    this.d.logger.warn(
      { offender: shortId(offence.offender), shard: offence.shard, height: offence.height, round: offence.round },
      'equivocation seen: submitting evidence',
    )
    await this.d
      .submitOwn(evidenceKind.kind, evidencePayloadCodec.encode(e))
      .catch((err: unknown) => this.d.logger.debug({ err: describeError(err) }, 'evidence not submitted'))
  }
}
