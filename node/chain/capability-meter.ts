/**
 * Measures the other members' capabilities (consensus/capability.ts) and reports them on chain.
 * Every PROBE_EVERY_MS, for each connected member: an empty probe (its round trip: Rou) and a
 * probe with PROBE_WORK sha256 iterations over a fresh challenge (time beyond the round trip:
 * Enc). A member may ask at most MAX_PROBES_PER_WINDOW probes of PROBE_WORK at most per window
 * (the work a probe may ask is capped by the request schema). The answer is checked by redoing the work on a random quarter of the probes; a wrong
 * answer counts as a probe that never finished. Once per epoch this member commits a
 * `member.report` with the median of its recent samples per member. A `slow` node answers
 * probes SLOW_MESSAGE_MS late, as it delays its consensus messages.
 */
import { randomBytes } from 'node:crypto'
import { DitenError, ErrorCode, bytes, bytesEqual, defineCodec, describeError, sha256Digest, struct, uint } from '../../ledger/index.js'
import { lowerMedian } from '../../consensus/capability.js'
import { memberReport } from '../../consensus/state/memberkinds.js'
import type { Observation } from '../../consensus/state/state.js'
import { SLOW_MESSAGE_MS } from '../faults/behaviours.js'
import type { Logger } from '../logger.js'
import type { Host } from '../p2p/host.js'
import type { Member, MemberSet } from '../p2p/members.js'
import type { ReqResp } from '../p2p/reqresp.js'
import type { ChainAccess } from './access.js'
import type { ChainService } from './service.js'

export const PROBE_EVERY_MS = 5000
/** sha256 iterations of a work probe (~10 ms on the machines here) */
export const PROBE_WORK = 5000
/** probes one member may ask of this node per PROBE_EVERY_MS (a member asking more gets a refusal, not CPU) */
const MAX_PROBES_PER_WINDOW = 6
const PROBE_TIMEOUT_MS = 5000
/** samples kept per member (the report takes their median) */
const SAMPLES = 8
/** a probe that failed or answered wrongly: the worst time a report can carry */
const FAILED_MS = 60_000

export const probeRequestCodec = defineCodec('probe.request', struct({ work: uint(PROBE_WORK), challenge: bytes({ len: 32 }) }), 128)
const probeResponseCodec = defineCodec('probe.response', struct({ result: bytes({ len: 32 }) }), 128)

/** `work` chained sha256 iterations over the challenge (the challenge itself for 0). */
export function probeWork(challenge: Uint8Array, work: number): Uint8Array {
  let x = challenge
  for (let i = 0; i < work; i++) x = sha256Digest(x)
  return x
}

export interface CapabilityMeterModules {
  chain: ChainAccess & Pick<ChainService, 'on' | 'off'>
  host: Host
  reqresp: ReqResp
  members: MemberSet
  logger: Logger
}

export class CapabilityMeter {
  private readonly samples = new Map<string, { rtt: number[]; compute: number[] }>()
  /** probes answered per asking member in the current window */
  private readonly asked = new Map<string, number>()
  private windowStart = 0
  private timer: NodeJS.Timeout | undefined
  private reportedEpoch = -1
  private busy = false
  private readonly onCommitted = ({ shard }: { shard: number }) => {
    if (shard === 0) void this.maybeReport()
  }

  constructor(
    private readonly opts: { slow: boolean; report: boolean },
    private readonly m: CapabilityMeterModules,
  ) {}

  async start(): Promise<void> {
    await this.m.reqresp.handle('probe', async (req, from) => {
      const r = probeRequestCodec.decode(req)
      const now = Date.now()
      if (now - this.windowStart >= PROBE_EVERY_MS) {
        this.asked.clear()
        this.windowStart = now
      }
      const n = (this.asked.get(from.peerId) ?? 0) + 1
      this.asked.set(from.peerId, n)
      if (n > MAX_PROBES_PER_WINDOW)
        throw new DitenError(ErrorCode.RATE_LIMITED, `more than ${MAX_PROBES_PER_WINDOW} probes in ${PROBE_EVERY_MS} ms`)
      if (this.opts.slow) await new Promise(x => setTimeout(x, SLOW_MESSAGE_MS))
      return probeResponseCodec.encode({ result: probeWork(r.challenge, r.work) })
    })
    this.timer = setInterval(() => void this.probeAll(), PROBE_EVERY_MS)
    this.timer.unref()
    this.m.chain.on('committed', this.onCommitted)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.m.chain.off('committed', this.onCommitted)
  }

  /** This node's medians per member (index): what its next report carries. */
  observations(): Observation[] {
    const out: Observation[] = []
    for (const member of this.m.members.all()) {
      const s = this.samples.get(member.publicKey)
      if (!s || s.rtt.length === 0) continue
      out.push({ member: member.index, rttMs: lowerMedian(s.rtt), computeMs: lowerMedian(s.compute) })
    }
    return out.sort((a, b) => a.member - b.member)
  }

  private async probe(member: Member, work: number): Promise<number> {
    const challenge = randomBytes(32)
    const started = performance.now()
    const res = await this.m.reqresp.request(member.id, 'probe', probeRequestCodec.encode({ work, challenge }), {
      timeoutMs: PROBE_TIMEOUT_MS,
    })
    const ms = performance.now() - started
    const { result } = probeResponseCodec.decode(res)
    // the empty probe must echo the challenge; a work probe is checked on a random quarter
    if ((work === 0 || Math.random() < 0.25) && !bytesEqual(result, probeWork(challenge, work))) return FAILED_MS
    return ms
  }

  private async probeAll(): Promise<void> {
    const self = this.m.chain.selfMember()
    for (const member of this.m.members.all()) {
      if (member.index === self || this.m.host.getConnections(member.id).length === 0) continue
      let rtt = FAILED_MS
      let total = FAILED_MS
      try {
        rtt = await this.probe(member, 0)
        total = await this.probe(member, PROBE_WORK)
      } catch (e) {
        this.m.logger.debug({ member: member.name, err: describeError(e) }, 'capability probe failed')
      }
      const s = this.samples.get(member.publicKey) ?? { rtt: [], compute: [] }
      s.rtt = [...s.rtt, Math.min(FAILED_MS, Math.round(rtt))].slice(-SAMPLES)
      s.compute = [...s.compute, Math.min(FAILED_MS, Math.max(0, Math.round(total - rtt)))].slice(-SAMPLES)
      this.samples.set(member.publicKey, s)
    }
    for (const key of [...this.samples.keys()]) if (!this.m.members.byKey(key)) this.samples.delete(key)
  }

  /** Once per epoch: commit this member's medians (members still live on chain). */
  private async maybeReport(): Promise<void> {
    const sys = this.m.chain.systemState()
    const self = this.m.chain.selfMember()
    if (!this.opts.report || this.busy || self < 0 || sys.epoch <= this.reportedEpoch) return
    const observations = this.observations().filter(o => o.member !== self && sys.members[o.member]?.removed === 0)
    if (observations.length === 0) return
    this.busy = true
    this.reportedEpoch = sys.epoch
    try {
      const payload = memberReport.codec.encode({ epoch: sys.epoch, observations })
      await this.m.chain.submitOwn(memberReport.kind, payload, { preflight: true })
      this.m.logger.info({ epoch: sys.epoch, members: observations.length }, 'capability report submitted')
    } catch (e) {
      this.m.logger.warn({ err: describeError(e) }, 'capability report not submitted')
    } finally {
      this.busy = false
    }
  }
}
