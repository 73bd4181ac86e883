/**
 * npm run bench:crypto [-- --duration S]
 * The physical limits later benchmarks are compared with: signatures, hashes, canonical
 * encoding and LevelDB batched writes. Ratios are against node's ed25519 verify (the
 * verifier every diten node uses), measured in the same run.
 */
import { createHash, createPrivateKey, sign as nodeSign } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { blake3 } from '@noble/hashes/blake3.js'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  Bucket,
  bucketKey,
  bytes,
  defineCodec,
  generateKeypair,
  nobleVerifyRaw,
  sign,
  signingBytes,
  str,
  struct,
  u32,
  u53,
  u64BE,
  verifyRaw,
  array,
} from '../ledger/index.js'
import { LevelStore } from '../node/db.js'
import { benchArgs, fmtRate, printRows, rate } from './bench-util.js'

const { durationS } = benchArgs(1)
const ms = durationS * 1000

const kp = generateKeypair()
const msg = signingBytes('bench', new Uint8Array(200).fill(7))
const sig = sign(kp.secretKey, 'bench', new Uint8Array(200).fill(7))
const nodeKey = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), kp.secretKey]),
  format: 'der',
  type: 'pkcs8',
})
const small = new Uint8Array(64).fill(1)
const blob = new Uint8Array(407_080).map((_, i) => i & 0xff) // an MLP 784-128-10 as float32

const Header = struct({
  chainId: str({ max: 64 }),
  shard: u32,
  height: u53,
  round: u32,
  prevHash: bytes({ len: 32 }),
  txRoot: bytes({ len: 32 }),
  stateRoot: bytes({ len: 32 }),
  proposer: bytes({ len: 32 }),
  time: u53,
  crossLinks: array(bytes({ len: 32 }), { max: 64 }),
})
const headerCodec = defineCodec('header', Header, 4096)
const header = {
  chainId: 'diten-devnet',
  shard: 1,
  height: 123_456,
  round: 0,
  prevHash: small.subarray(0, 32),
  txRoot: small.subarray(0, 32),
  stateRoot: small.subarray(0, 32),
  proposer: kp.publicKey,
  time: Date.now(),
  crossLinks: [small.subarray(0, 32), small.subarray(0, 32)],
}
const headerBytes = headerCodec.encode(header)

console.log(`bench:crypto — ${durationS} s per figure, node ${process.version}`)
const verifyNode = await rate(() => verifyRaw(kp.publicKey, msg, sig), ms)
const verifyNoble = await rate(() => nobleVerifyRaw(kp.publicKey, msg, sig), ms)
const signNoble = await rate(() => sign(kp.secretKey, 'bench', msg), ms)
const signNode = await rate(() => nodeSign(null, msg, nodeKey), ms)
const sha256Small = await rate(() => sha256(small), ms)
const blake3Small = await rate(() => blake3(small), ms)
const sha256Blob = await rate(() => sha256(blob), ms)
const blake3Blob = await rate(() => blake3(blob), ms)
const nodeSha256Blob = await rate(() => createHash('sha256').update(blob).digest(), ms)
const encode = await rate(() => headerCodec.encode(header), ms)
const decode = await rate(() => headerCodec.decode(headerBytes), ms)

const dir = await mkdtemp(join(tmpdir(), 'diten-bench-'))
const db = await LevelStore.open(dir)
const value = new Uint8Array(128).fill(3)
let key = 0
const BATCH = 1000
const levelPuts = await rate(
  () => db.batch(Array.from({ length: BATCH }, () => ({ type: 'put' as const, key: bucketKey(Bucket.blocks, u64BE(key++)), value }))),
  ms,
  BATCH,
)
await db.close()
await rm(dir, { recursive: true, force: true })

const blobMBps = (r: number) => (r * blob.length) / 1e6
const ratio = (r: number) => `${(r / verifyNode).toFixed(2)}x verify`
printRows([
  { name: 'ed25519 verify, node crypto (baseline)', value: fmtRate(verifyNode), ratio: '1.00x verify' },
  { name: 'ed25519 verify, @noble/curves', value: fmtRate(verifyNoble), ratio: ratio(verifyNoble) },
  { name: 'ed25519 sign, @noble/curves', value: fmtRate(signNoble), ratio: ratio(signNoble) },
  { name: 'ed25519 sign, node crypto', value: fmtRate(signNode), ratio: ratio(signNode) },
  { name: 'sha256 64 B, @noble/hashes', value: fmtRate(sha256Small), ratio: ratio(sha256Small) },
  { name: 'blake3 64 B, @noble/hashes', value: fmtRate(blake3Small), ratio: ratio(blake3Small) },
  { name: 'sha256 407 KB blob, @noble/hashes', value: `${blobMBps(sha256Blob).toFixed(0)} MB/s`, ratio: ratio(sha256Blob) },
  { name: 'blake3 407 KB blob, @noble/hashes', value: `${blobMBps(blake3Blob).toFixed(0)} MB/s`, ratio: ratio(blake3Blob) },
  { name: 'sha256 407 KB blob, node crypto', value: `${blobMBps(nodeSha256Blob).toFixed(0)} MB/s`, ratio: ratio(nodeSha256Blob) },
  { name: `encode header (${headerBytes.length} B, schema-checked)`, value: fmtRate(encode), ratio: ratio(encode) },
  { name: 'decode header (canonical + schema)', value: fmtRate(decode), ratio: ratio(decode) },
  { name: 'LevelDB put, batches of 1000 x 128 B', value: fmtRate(levelPuts), ratio: ratio(levelPuts) },
])
const r = (n: number) => Math.round(n)
console.log(
  JSON.stringify({
    bench: 'crypto',
    durationS,
    verifyPerSec: r(verifyNode),
    verifyNoblePerSec: r(verifyNoble),
    signPerSec: r(signNoble),
    signNodePerSec: r(signNode),
    sha256SmallPerSec: r(sha256Small),
    blake3SmallPerSec: r(blake3Small),
    sha256BlobMBps: r(blobMBps(sha256Blob)),
    blake3BlobMBps: r(blobMBps(blake3Blob)),
    nodeSha256BlobMBps: r(blobMBps(nodeSha256Blob)),
    encodePerSec: r(encode),
    decodePerSec: r(decode),
    levelPutsPerSec: r(levelPuts),
  }),
)
