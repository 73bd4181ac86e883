/**
 * Node metadata, stored in the meta bucket: which key and which chain this data dir
 * belongs to, and how often it was started. A node refuses a data dir that belongs to
 * another key or another genesis, and changes nothing in it.
 */
import {
  Bucket,
  DitenError,
  ErrorCode,
  Repository,
  bytesEqual,
  defineCodec,
  stringKeys,
  struct,
  bytes,
  str,
  u53,
  type Infer,
  type KvStore,
  shortId,
} from '../ledger/index.js'

const nodeMetaType = struct({
  publicKey: bytes({ len: 32 }),
  chainId: str({ min: 1, max: 64 }),
  genesisHash: bytes({ len: 32 }),
  createdAt: u53,
  starts: u53,
})
export type NodeMeta = Infer<typeof nodeMetaType>
const nodeMetaCodec = defineCodec('nodeMeta', nodeMetaType, 512)

export async function openNodeMeta(
  db: KvStore,
  expect: { publicKey: Uint8Array; chainId: string; genesisHash: Uint8Array },
  now = Date.now(),
): Promise<NodeMeta> {
  const repo = new Repository(Bucket.meta, stringKeys, nodeMetaCodec, db)
  const prev = await repo.get('node')
  if (prev) {
    if (!bytesEqual(prev.publicKey, expect.publicKey)) {
      throw new DitenError(
        ErrorCode.DB_MISMATCH,
        `data dir belongs to the node with key ${shortId(prev.publicKey)}…, not ${shortId(expect.publicKey)}…; use that node's key file or another data dir`,
      )
    }
    if (!bytesEqual(prev.genesisHash, expect.genesisHash)) {
      throw new DitenError(
        ErrorCode.DB_MISMATCH,
        `data dir belongs to chain "${prev.chainId}" with genesis ${shortId(prev.genesisHash)}…, but this genesis hashes to ${shortId(expect.genesisHash)}…`,
      )
    }
  }
  const meta: NodeMeta = prev
    ? { ...prev, starts: prev.starts + 1 }
    : { publicKey: expect.publicKey, chainId: expect.chainId, genesisHash: expect.genesisHash, createdAt: now, starts: 1 }
  await repo.put('node', meta)
  return meta
}
