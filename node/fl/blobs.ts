/**
 * Model blobs (DESIGN §3): content-addressed float32 weights in LevelDB (bucket `blobs`, key =
 * sha256), served to members over request/response (`fl.blob`) and fetched from them on demand.
 * A fetched blob is kept only when it hashes to what was asked; its format verdict (shapes,
 * finite values) is computed once and cached with the decoded weights, which is what the state
 * transition reads through the synchronous ModelSource interface.
 */
import { Bucket, DitenError, ErrorCode, bucketKey, defineCodec, describeError, fromHex, hex, struct, shortId } from '../../ledger/index.js'
import type { ModelLookup, ModelSource } from '../../consensus/state/fl.js'
import type { DerivedModel } from '../../consensus/state/state.js'
import { FlRuleError, checkFormat } from '../../fl/rules.js'
import { MAX_BLOB_BYTES, flatten, weightsHash, type ModelSpec } from '../../fl/weights.js'
import type { LevelStore } from '../db.js'
import type { Logger } from '../logger.js'
import type { MemberSet } from '../p2p/members.js'
import type { Host } from '../p2p/host.js'
import type { ReqResp } from '../p2p/reqresp.js'

export const blobRequestCodec = defineCodec('fl.blob.request', struct({ hash: hex(32) }), 128)
/** decoded models kept in memory (an MLP 784-128-10 is 400 KB) */
const CACHE = 96

export interface BlobStoreModules {
  db: LevelStore
  reqresp: ReqResp
  host: Host
  members: MemberSet
  logger: Logger
}

export class BlobStore implements ModelSource {
  private readonly cache = new Map<string, ModelLookup>()
  private readonly fetching = new Map<string, Promise<ModelLookup>>()
  /** hashes looked up but not held: the chain asks for them to be fetched */
  readonly misses = new Set<string>()
  fetched = 0
  served = 0

  constructor(
    private readonly spec: ModelSpec,
    private readonly m: BlobStoreModules,
  ) {}

  async init(): Promise<void> {
    await this.m.reqresp.handle('fl.blob', async req => {
      const { hash } = blobRequestCodec.decode(req)
      const blob = await this.m.db.get(bucketKey(Bucket.blobs, fromHex(hash)))
      if (!blob) throw new DitenError(ErrorCode.NOT_FOUND, `no blob ${shortId(hash)}…`)
      this.served++
      return blob
    })
  }

  private remember(hash: string, l: ModelLookup): ModelLookup {
    this.cache.delete(hash)
    this.cache.set(hash, l)
    while (this.cache.size > CACHE) this.cache.delete(this.cache.keys().next().value!)
    this.misses.delete(hash)
    return l
  }

  private judge(hash: string, blob: Uint8Array): ModelLookup {
    try {
      return { weights: flatten(checkFormat(blob, hash, this.spec)) }
    } catch (e) {
      if (e instanceof FlRuleError) return { rule: e.rule, detail: e.message.slice(0, 200) }
      return { rule: 'FL_BAD_SHAPE', detail: describeError(e).slice(0, 200) }
    }
  }

  lookup(hash: string): ModelLookup | undefined {
    const l = this.cache.get(hash)
    if (!l) this.misses.add(hash)
    return l
  }

  /** Models a committed block derived: already on disk (written in the block's commit batch), kept in memory here. */
  adopt(models: readonly DerivedModel[]): void {
    for (const d of models) this.remember(d.hash, { weights: d.weights })
  }

  prefetch(hash: string, from: string): void {
    if (this.cache.get(hash)) return
    this.ensure(hash, [from]).catch((e: unknown) =>
      this.m.logger.debug({ hash: shortId(hash), err: describeError(e) }, 'model blob not prefetched'),
    )
  }

  /** Fetches, from members, the blobs that lookups missed (a validation that waits for a model). */
  async fetchMissing(): Promise<void> {
    for (const h of [...this.misses])
      await this.ensure(h).catch((e: unknown) => this.m.logger.debug({ hash: shortId(h), err: describeError(e) }, 'model blob not fetched'))
  }

  /** Stores a blob made here (a trained or aggregated model); returns its hash. */
  async put(blob: Uint8Array): Promise<string> {
    const hash = weightsHash(blob)
    const l = this.judge(hash, blob)
    await this.m.db.batch([{ type: 'put', key: bucketKey(Bucket.blobs, fromHex(hash)), value: blob }])
    this.remember(hash, l)
    return hash
  }

  async raw(hash: string): Promise<Uint8Array | undefined> {
    return this.m.db.get(bucketKey(Bucket.blobs, fromHex(hash)))
  }

  /** The model from memory, disk, or members (preferred peers first); throws when nobody has it. */
  async ensure(hash: string, prefer: string[] = []): Promise<ModelLookup> {
    const hit = this.cache.get(hash)
    if (hit) return this.remember(hash, hit)
    let p = this.fetching.get(hash)
    if (!p) {
      p = this.load(hash, prefer).finally(() => this.fetching.delete(hash))
      this.fetching.set(hash, p)
    }
    return p
  }

  private async load(hash: string, prefer: string[]): Promise<ModelLookup> {
    const local = await this.raw(hash)
    if (local) return this.remember(hash, this.judge(hash, local))
    const connected = this.m.members.all().filter(x => this.m.host.getConnections(x.id).length > 0)
    connected.sort((a, b) => Number(prefer.includes(b.publicKey)) - Number(prefer.includes(a.publicKey)))
    for (const peer of connected) {
      try {
        const blob = await this.m.reqresp.request(peer.id, 'fl.blob', blobRequestCodec.encode({ hash }), {
          timeoutMs: 10_000,
          maxResponseBytes: MAX_BLOB_BYTES,
        })
        if (weightsHash(blob) !== hash) {
          this.m.logger.warn({ peer: peer.name, hash: shortId(hash) }, 'a member served a blob with another hash')
          continue
        }
        // judged before it is kept: a blob without the model's shape is remembered as the rule it
        // breaks, never written to disk (a member cannot fill every node's disk with junk blobs)
        const judged = this.judge(hash, blob)
        if ('weights' in judged) await this.m.db.batch([{ type: 'put', key: bucketKey(Bucket.blobs, fromHex(hash)), value: blob }])
        this.fetched++
        return this.remember(hash, judged)
      } catch (e) {
        this.m.logger.debug({ peer: peer.name, hash: shortId(hash), err: describeError(e) }, 'blob not fetched from this member')
      }
    }
    throw new DitenError(ErrorCode.FL_BLOB_UNAVAILABLE, `no connected member holds model blob ${shortId(hash)}…`)
  }
}
