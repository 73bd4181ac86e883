/**
 * The twin SDK (`import { DitenClient, TwinDevice } from 'diten'`): typed twin calls, device keys,
 * and sequence numbers managed for the caller, plus the change-event stream.
 *
 *   const node = new DitenClient('http://127.0.0.1:26601')
 *   const pump = TwinDevice.generate(node, 'acme:pump-1')          // or new TwinDevice(node, id, keypair)
 *   await twins(node).register({ twinId: pump.twinId, definition, owner: pump.publicKey, wait: true })
 *   await pump.sync({ state: { properties: { rpm: 1200 } } }, { wait: true })   // → { revision: 2, … }
 */
import { generateKeypair, signTx, signedTxCodec, toHex, type Keypair } from '../../ledger/index.js'
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
    /** Server-sent change events of one twin (`twin`) or a namespace; resolves when `signal` aborts. */
    async watch(
      filter: { twin?: string; namespace?: string },
      onEvent: (e: TwinEventMessage) => void,
      signal?: AbortSignal,
    ): Promise<void> {
      const url = new URL('/events', node.url)
      if (filter.twin) url.searchParams.set('twin', filter.twin)
      if (filter.namespace) url.searchParams.set('namespace', filter.namespace)
      const res = await fetch(url, { headers: node.authHeaders, ...(signal ? { signal } : {}) })
      if (!res.ok || !res.body) throw new Error(`${url} answered HTTP ${res.status}`)
      const decoder = new TextDecoder()
      let buf = ''
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true })
          for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
            const frame = buf.slice(0, end)
            buf = buf.slice(end + 2)
            const data = frame
              .split('\n')
              .filter(l => l.startsWith('data: '))
              .map(l => l.slice(6))
              .join('\n')
            if (data) onEvent(JSON.parse(data) as TwinEventMessage)
          }
        }
      } catch (e) {
        if (!signal?.aborted) throw e
      }
    },
  }
}

/** A device: its key signs the twin's syncs; sequence numbers are fetched once and then counted here. */
export class TwinDevice {
  private next: number | undefined

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

  private async send(
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
        return this.send(method, kind, payload, wait, true)
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
  const record = verifyTwinProof(proof, { chainId: c.chainId, committee: c.keys.map(k => Uint8Array.from(Buffer.from(k, 'hex'))) })
  return { record, shard: proof.shard, height: proof.height }
}
