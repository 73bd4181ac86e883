/**
 * Request/response over libp2p streams, one exchange per stream (as Lodestar's reqresp):
 *
 *   request:  u32 BE length ++ payload
 *   response: u32 BE length ++ status byte ++ body     (status 0: ok, 1: error text)
 *
 * Lengths are checked against the cap before any body byte is buffered; the whole
 * exchange has a deadline. Both ends only talk to members (the gater guarantees it).
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { DitenError, ErrorCode, describeError } from '../../ledger/index.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { Host } from './host.js'
import type { Member, MemberSet } from './members.js'

const STATUS_OK = 0
const STATUS_ERROR = 1
const MAX_ERROR_TEXT = 512

export interface ReqRespOptions {
  chainId: string
  timeoutMs: number
  maxRequestBytes: number
  maxResponseBytes: number
  maxInboundStreams: number
}

export const defaultReqRespOptions: Omit<ReqRespOptions, 'chainId'> = {
  timeoutMs: 10_000,
  maxRequestBytes: 64 * 1024,
  maxResponseBytes: 16 * 1024 * 1024,
  maxInboundStreams: 32,
}

export type RequestHandler = (request: Uint8Array, from: Member) => Promise<Uint8Array> | Uint8Array

function frame(parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length, 0)
  const out = new Uint8Array(4 + len)
  new DataView(out.buffer).setUint32(0, len)
  let o = 4
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Reads exactly one length-prefixed frame of at most `max` bytes. */
export async function readFrame(stream: Stream, max: number, what: string): Promise<Uint8Array> {
  const buf = new Uint8ArrayList()
  let need = -1
  for await (const chunk of stream) {
    buf.append(chunk)
    if (need < 0 && buf.byteLength >= 4) {
      need = buf.getUint32(0)
      if (need > max)
        throw new DitenError(ErrorCode.REQRESP_TOO_LARGE, `${what}: frame of ${need} bytes exceeds the cap of ${max}`, { size: need, max })
    }
    if (need >= 0 && buf.byteLength >= 4 + need) {
      if (buf.byteLength > 4 + need)
        throw new DitenError(ErrorCode.REQRESP_PROTOCOL, `${what}: ${buf.byteLength - 4 - need} bytes after the frame`)
      return buf.subarray(4, 4 + need)
    }
  }
  throw new DitenError(
    ErrorCode.REQRESP_PROTOCOL,
    `${what}: stream ended after ${buf.byteLength} bytes${need >= 0 ? ` of a ${need}-byte frame` : ''}`,
  )
}

async function send(stream: Stream, data: Uint8Array, signal: AbortSignal): Promise<void> {
  if (!stream.send(data)) await stream.onDrain({ signal })
}

function withDeadline(stream: Stream, ms: number, what: string): { signal: AbortSignal; clear: () => void } {
  const ctl = new AbortController()
  const timer = setTimeout(() => {
    const err = new DitenError(ErrorCode.REQRESP_TIMEOUT, `${what}: no answer within ${ms} ms`)
    ctl.abort(err)
    stream.abort(err)
  }, ms)
  return { signal: ctl.signal, clear: () => clearTimeout(timer) }
}

export interface ReqRespModules {
  host: Host
  members: MemberSet
  /** the node's shutdown signal: aborts every request in flight */
  signal?: AbortSignal
  logger: Logger
  metrics: Metrics
}

export class ReqResp {
  private readonly protocols = new Set<string>()
  private readonly handlers = new Map<string, { handler: RequestHandler; max: number }>()

  constructor(
    private readonly opts: ReqRespOptions,
    private readonly modules: ReqRespModules,
  ) {}

  protocolId(name: string): string {
    return `/diten/${this.opts.chainId}/req/${name}/1`
  }

  async handle(name: string, handler: RequestHandler, limits: { maxRequestBytes?: number } = {}): Promise<void> {
    const protocol = this.protocolId(name)
    const max = limits.maxRequestBytes ?? this.opts.maxRequestBytes
    await this.modules.host.handle(protocol, (stream, conn) => this.serve(name, stream, conn, handler, max), {
      maxInboundStreams: this.opts.maxInboundStreams,
    })
    this.protocols.add(protocol)
    this.handlers.set(name, { handler, max })
  }

  /** Runs the handler of `name` on one request body as if `from` had sent it (fuzzing and tests). */
  async handleRaw(name: string, request: Uint8Array, from: Member): Promise<Uint8Array> {
    const h = this.handlers.get(name)
    if (!h) throw new Error(`no handler for ${name}`)
    if (request.length > h.max)
      throw new DitenError(ErrorCode.REQRESP_TOO_LARGE, `request ${name}: ${request.length} bytes exceed ${h.max}`)
    return h.handler(request, from)
  }

  private async serve(name: string, stream: Stream, conn: Connection, handler: RequestHandler, max: number): Promise<void> {
    const { metrics, logger } = this.modules
    const member = this.modules.members.byPeerId(conn.remotePeer)
    const deadline = withDeadline(stream, this.opts.timeoutMs, `request ${name}`)
    let result = 'ok'
    const errorFrame = (e: unknown) =>
      frame([Uint8Array.of(STATUS_ERROR), new TextEncoder().encode(describeError(e).slice(0, MAX_ERROR_TEXT))])
    try {
      if (!member) throw new DitenError(ErrorCode.NOT_A_MEMBER, 'not a member')
      let response: Uint8Array
      try {
        const request = await readFrame(stream, max, `request ${name}`)
        response = frame([Uint8Array.of(STATUS_OK), await handler(request, member)])
      } catch (e) {
        // a bad request or a refusing handler still gets an answer saying why
        if (!(e instanceof DitenError) || e.code === ErrorCode.REQRESP_TIMEOUT) throw e
        result = e.code
        response = errorFrame(e)
      }
      await send(stream, response, deadline.signal)
      await stream.close({ signal: deadline.signal })
    } catch (e) {
      result = e instanceof DitenError ? e.code : 'stream_error'
      logger.debug({ protocol: name, peer: conn.remotePeer.toString(), err: describeError(e) }, 'inbound request failed')
      stream.abort(e instanceof Error ? e : new Error(String(e)))
    } finally {
      deadline.clear()
      metrics.reqresp.inc({ protocol: name, direction: 'inbound', result })
    }
  }

  /** Sends one request; resolves with the response body or throws a DitenError (REQRESP_*). */
  async request(
    peer: PeerId,
    name: string,
    payload: Uint8Array,
    opts: { timeoutMs?: number; maxResponseBytes?: number } = {},
  ): Promise<Uint8Array> {
    const { metrics } = this.modules
    const timer = metrics.reqrespSeconds.startTimer({ protocol: name })
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs
    let result = 'ok'
    let stream: Stream | undefined
    const timeout = AbortSignal.timeout(timeoutMs)
    const ctl = this.modules.signal ? AbortSignal.any([timeout, this.modules.signal]) : timeout
    try {
      stream = await this.modules.host.dialProtocol(peer, this.protocolId(name), { signal: ctl })
      const deadline = withDeadline(stream, timeoutMs, `request ${name} to ${peer.toString().slice(-8)}`)
      try {
        await send(stream, frame([payload]), deadline.signal)
        await stream.close({ signal: deadline.signal })
        const body = await readFrame(stream, (opts.maxResponseBytes ?? this.opts.maxResponseBytes) + 1, `response ${name}`)
        if (body.length === 0) throw new DitenError(ErrorCode.REQRESP_PROTOCOL, `response ${name}: empty frame`)
        if (body[0] === STATUS_OK) return body.subarray(1)
        if (body[0] === STATUS_ERROR)
          throw new DitenError(
            ErrorCode.REQRESP_REMOTE_ERROR,
            `peer answered ${name} with: ${new TextDecoder().decode(body.subarray(1, 1 + MAX_ERROR_TEXT))}`,
          )
        throw new DitenError(ErrorCode.REQRESP_PROTOCOL, `response ${name}: unknown status byte ${body[0]}`)
      } finally {
        deadline.clear()
      }
    } catch (e) {
      if (e instanceof DitenError) {
        result = e.code
        throw e
      }
      result = ctl.aborted ? ErrorCode.REQRESP_TIMEOUT : 'stream_error'
      if (this.modules.signal?.aborted) throw new DitenError(ErrorCode.REQRESP_TIMEOUT, `request ${name}: the node is stopping`)
      if (ctl.aborted) throw new DitenError(ErrorCode.REQRESP_TIMEOUT, `request ${name}: no answer within ${timeoutMs} ms`)
      throw new DitenError(ErrorCode.REQRESP_PROTOCOL, `request ${name} failed: ${(e as Error).message}`)
    } finally {
      if (result !== 'ok') stream?.abort(new Error(result))
      timer()
      metrics.reqresp.inc({ protocol: name, direction: 'outbound', result })
    }
  }

  async stop(): Promise<void> {
    for (const p of this.protocols) await this.modules.host.unhandle(p)
    this.protocols.clear()
  }
}
