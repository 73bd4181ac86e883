/**
 * The twin SDK (`import { DitenClient, TwinDevice } from 'diten'`): typed twin calls, device keys,
 * and sequence numbers managed for the caller, plus the change-event stream.
 *
 *   const node = new DitenClient('http://127.0.0.1:26601')
 *   const pump = TwinDevice.generate(node, 'acme:pump-1')          // or new TwinDevice(node, id, keypair)
 *   await twins(node).register({ twinId: pump.twinId, definition, owner: pump.publicKey, wait: true })
 *   await pump.sync({ state: { properties: { rpm: 1200 } } }, { wait: true })   // → { revision: 2, … }
 */
import { fromHex, generateKeypair, signTx, signedTxCodec, toHex, type Keypair } from '../../ledger/index.js'
import { twinRetireCodec, twinSetDesiredCodec, twinSyncCodec } from '../../twin/contract.js'
import { canonicalJson, type Json } from '../../twin/json.js'
import { RpcError, type DitenClient } from './client.js'
import { twinProofFromJson, verifyTwinProof, type TwinProof } from '../../consensus/twin-proof.js'
import type { TwinRecord } from '../../twin/record.js'

export interface TwinCallResult {
  id: string
  shard: number
  status: 'pending' | 'committed'
  height?: number
  revision?: number
}

export interface TwinView {
  twinId: string
  definition: string
  owner: string
  host: number
  revision: number
  created: number
  modified: number
  retired: boolean
  attributes: Json
  features: Json
  model?: { hash: string; round: number; inputs: string[]; label: number; scores: number[] }
}

export interface TwinEventMessage {
  twinId: string
  revision: number
  kind: string
  change: Json
  time: number
  txId: string
  shard: number
  height: number
  twin: TwinView
}

/** What twin_registerMany returns: each transaction it sent, with its twins and status (or why it was refused). */
export interface BulkResult {
  twins: number
  txs: ({
    twins: number
    status: 'pending' | 'committed' | 'refused'
    error?: { code: string; message: string }
    /** a refused transaction's twins */
    twinIds?: string[]
  } & Partial<Omit<TwinCallResult, 'status'>>)[]
}

export interface WatchOptions {
  /** the node no longer has some changes after the last event seen (shards listed): re-read state */
  onGap?: (gap: { shards: number[]; reason: string }) => void
  /** each reconnect attempt, with the error that ended the stream */
  onReconnect?: (attempt: number, error: unknown) => void
}

async function watchEvents(
  node: DitenClient,
  filter: { twin?: string; namespace?: string },
  onEvent: (e: TwinEventMessage) => void,
  signal: AbortSignal | undefined,
  opts: WatchOptions,
): Promise<void> {
  const url = new URL('/events', node.url)
  if (filter.twin) url.searchParams.set('twin', filter.twin)
  if (filter.namespace) url.searchParams.set('namespace', filter.namespace)
  let lastId: string | undefined
  let delay = 500
  for (let attempt = 0; !signal?.aborted; attempt++) {
    let error: unknown
    try {
      const headers: Record<string, string> = { ...node.authHeaders, ...(lastId ? { 'last-event-id': lastId } : {}) }
      const res = await fetch(url, { headers, ...(signal ? { signal } : {}) })
      if (!res.ok || !res.body) {
        if (res.status !== 429 && res.status < 500) throw new Error(`${url} answered HTTP ${res.status}`)
        error = new Error(`${url} answered HTTP ${res.status}`)
      } else {
        delay = 500
        for await (const frame of sseFrames(res.body as unknown as AsyncIterable<Uint8Array>)) {
          if (frame.id) lastId = frame.id
          if (frame.event === 'gap') opts.onGap?.(JSON.parse(frame.data) as { shards: number[]; reason: string })
          else if (frame.data) onEvent(JSON.parse(frame.data) as TwinEventMessage)
        }
        error = new Error('the event stream ended')
      }
    } catch (e) {
      if (signal?.aborted) return
      if (e instanceof Error && e.message.includes('answered HTTP')) throw e
      error = e
    }
    opts.onReconnect?.(attempt + 1, error)
    await new Promise<void>(r => {
      const t = setTimeout(r, delay)
      const wake = () => {
        clearTimeout(t)
        r()
      }
      signal?.addEventListener('abort', wake, { once: true })
    })
    delay = Math.min(delay * 2, 30_000)
  }
}

/** The frames of a text/event-stream body: event name, id and data. */
async function* sseFrames(body: AsyncIterable<Uint8Array>): AsyncGenerator<{ event: string; id?: string; data: string }> {
  const decoder = new TextDecoder()
  let buf = ''
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true })
    for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
      const lines = buf.slice(0, end).split('\n')
      buf = buf.slice(end + 2)
      const field = (name: string) => lines.filter(l => l.startsWith(`${name}: `)).map(l => l.slice(name.length + 2))
      const id = field('id')[0]
      yield { event: field('event')[0] ?? 'message', ...(id ? { id } : {}), data: field('data').join('\n') }
    }
  }
}

/** Member-side and read calls. */
export function twins(node: DitenClient) {
  return {
    register: (p: { twinId: string; definition: Json; owner: string; attributes?: Json; features?: Json; wait?: boolean }) =>
      node.call<TwinCallResult>('twin_register', p),
    setDesired: (p: { twinId: string; patch: Json; ifRevision?: number; wait?: boolean }) =>
      node.call<TwinCallResult>('twin_setDesired', p),
    bindModel: (p: { twinId: string; round: number; inputs: string[]; modelHash?: string; wait?: boolean }) =>
      node.call<TwinCallResult>('twin_bindModel', p),
    retire: (p: { twinId: string; wait?: boolean }) => node.call<TwinCallResult>('twin_retire', p),
    /** a fleet of one definition (≤ 5,000 per call): the node sends one all-or-none transaction per shard and 64 KiB */
    registerMany: (p: {
      definition: Json
      twins: { twinId: string; owner: string; attributes?: Json; features?: Json }[]
      wait?: boolean
    }) => node.call<BulkResult>('twin_registerMany', p),
    get: (twinId: string, atRevision?: number) =>
      node.call<TwinView>('twin_get', atRevision === undefined ? { twinId } : { twinId, atRevision }),
    /**
     * The twin with its proof against its shard's certified head (or the proof that it does not
     * exist). Check it with `verifiedTwin`, or `verifyTwinProof` and a committee you trust.
     */
    proof: async (twinId: string): Promise<{ twin: TwinView | null; proof: TwinProof }> => {
      const r = await node.call<{ twin: TwinView | null; proof: unknown }>('twin_get', { twinId, proof: true })
      return { twin: r.twin, proof: twinProofFromJson(r.proof) }
    },
    history: (twinId: string, fromRevision?: number, toRevision?: number) =>
      node.call<{ twinId: string; changes: { revision: number; kind: string; change: Json; time: number; txId: string }[] }>(
        'twin_history',
        { twinId, ...(fromRevision !== undefined ? { fromRevision } : {}), ...(toRevision !== undefined ? { toRevision } : {}) },
      ),
    list: (p: { namespace?: string; cursor?: string; limit?: number } = {}) =>
      node.call<{ twins: { twinId: string; revision: number; definition: string; retired: boolean }[]; cursor: string | null }>(
        'twin_list',
        p,
      ),
    /**
     * Server-sent change events of one twin (`twin`) or a namespace; resolves when `signal` aborts.
     * A dropped stream is opened again (after 0.5 s, doubling to 30 s) with `Last-Event-ID`, so
     * the node first sends the changes missed meanwhile; when it no longer has them, `onGap` is
     * called (read the twins again) and the stream goes on. An HTTP error other than 429/5xx throws.
     */
    watch: (
      filter: { twin?: string; namespace?: string },
      onEvent: (e: TwinEventMessage) => void,
      signal?: AbortSignal,
      opts: WatchOptions = {},
    ): Promise<void> => watchEvents(node, filter, onEvent, signal, opts),
  }
}

/** A device: its key signs the twin's syncs; sequence numbers are fetched once and then counted here. */
/**
 * A device's signed calls. Safe under concurrent calls: each takes the next sequence number in
 * call order and is sent only after the one before it was accepted (or refused), so two unawaited
 * calls never sign the same number; with `wait: true` the next call waits for that commit too.
 */
export class TwinDevice {
  private next: number | undefined
  /** the calls of this device, one at a time in call order */
  private tail: Promise<unknown> = Promise.resolve()

  constructor(
    readonly node: DitenClient,
    readonly twinId: string,
    readonly keypair: Keypair,
    private readonly chainId?: string,
  ) {}

  static generate(node: DitenClient, twinId: string): TwinDevice {
    return new TwinDevice(node, twinId, generateKeypair())
  }

  get publicKey(): string {
    return toHex(this.keypair.publicKey)
  }

  private async chain(): Promise<string> {
    return this.chainId ?? (await this.node.status()).chainId
  }

  private async sequence(): Promise<number> {
    this.next ??= (await this.node.call<{ next: number }>('twin_sequence', { twinId: this.twinId, device: this.publicKey })).next
    return this.next
  }

  private send(method: string, kind: string, payload: Uint8Array, wait: boolean | undefined): Promise<TwinCallResult> {
    const run = this.tail.then(() => this.sendNow(method, kind, payload, wait))
    this.tail = run.catch(() => undefined)
    return run
  }

  private async sendNow(
    method: string,
    kind: string,
    payload: Uint8Array,
    wait: boolean | undefined,
    retried = false,
  ): Promise<TwinCallResult> {
    const nonce = await this.sequence()
    const tx = signTx({ chainId: await this.chain(), kind, sender: this.keypair.publicKey, nonce, payload }, this.keypair.secretKey)
    try {
      const r = await this.node.call<TwinCallResult>(method, { tx: toHex(signedTxCodec.encode(tx)), ...(wait ? { wait } : {}) })
      this.next = nonce + 1
      return r
    } catch (e) {
      // submitted but not committed in time (or the node had too many waiting callers): the number is taken
      if (
        e instanceof RpcError &&
        (e.reason === 'WAIT_TIMEOUT' || (e.reason === 'RATE_LIMITED' && (e.data as { id?: string } | undefined)?.id))
      )
        this.next = nonce + 1
      // another client of this device moved its sequence on: ask the node again, once
      if (e instanceof RpcError && e.reason === 'TWIN_STALE_SEQUENCE' && !retried) {
        this.next = undefined
        return this.sendNow(method, kind, payload, wait, true)
      }
      throw e
    }
  }

  sync(patch: Json, o: { ifRevision?: number; wait?: boolean } = {}): Promise<TwinCallResult> {
    return this.send(
      'twin_sync',
      'twin.sync',
      twinSyncCodec.encode({
        twinId: this.twinId,
        patch: canonicalJson(patch),
        ...(o.ifRevision !== undefined ? { ifRevision: o.ifRevision } : {}),
      }),
      o.wait,
    )
  }

  setDesired(patch: Json, o: { ifRevision?: number; wait?: boolean } = {}): Promise<TwinCallResult> {
    return this.send(
      'twin_setDesired',
      'twin.setDesired',
      twinSetDesiredCodec.encode({
        twinId: this.twinId,
        patch: canonicalJson(patch),
        ...(o.ifRevision !== undefined ? { ifRevision: o.ifRevision } : {}),
      }),
      o.wait,
    )
  }

  retire(o: { wait?: boolean } = {}): Promise<TwinCallResult> {
    return this.send('twin_retire', 'twin.retire', twinRetireCodec.encode({ twinId: this.twinId }), o.wait)
  }
}

/**
 * A twin as `untrusted` reports it, proved against the committee `trusted` names for that height
 * (a node you run, or one of several members you compare): the record (undefined when the twin
 * provably does not exist), with the shard and height it was proved at. Throws PROOF_INVALID (an
 * RpcError from the node, a DitenError from the check) when any link fails.
 */
export async function verifiedTwin(
  untrusted: DitenClient,
  trusted: DitenClient,
  twinId: string,
): Promise<{ record: TwinRecord | undefined; shard: number; height: number }> {
  const { proof } = await twins(untrusted).proof(twinId)
  const c = await trusted.call<{ chainId: string; keys: string[] }>('chain_committee', { shard: proof.shard, height: proof.height })
  const record = verifyTwinProof(proof, { chainId: c.chainId, committee: c.keys.map(k => fromHex(k)) })
  return { record, shard: proof.shard, height: proof.height }
}
