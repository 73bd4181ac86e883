/**
 * Fuzz targets: every decoder and validator a peer or an API caller can reach, run inside a
 * real one-member node (LevelDB, libp2p host, services) that has committed a few blocks, a
 * twin and its syncs, so mutated valid inputs reach deep into the rules.
 *
 *   gossip.<topic>    decode + validate of status, tx, consensus, block, tangle messages
 *   reqresp.<proto>   request handlers of status, blocks, tangle.txs, fl.blob, probe
 *   jsonrpc           whole HTTP bodies through the JSON-RPC dispatcher (a -32603 internal error is a crash)
 *   twin.patch        the twin contract's sync on merge patches (text)
 *   twin.definition   twin registration with fuzzed definitions (text)
 */
import { consensusMsgCodec } from '../../consensus/validation/consensus-msg.js'
import { txBatchCodec } from '../../consensus/validation/tx.js'
import { compactFinalizedCodec, compactOf, txIdsCodec } from '../../ledger/index.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  DitenError,
  ErrorCode,
  VoteType,
  createGenesis,
  defaultGenesisParams,
  generateKeypair,
  genesisHash,
  proposalStubCodec,
  sign,
  signTangleTx,
  signTx,
  signedTxCodec,
  solvePow,
  tangleGenesisId,
  toHex,
  signedTangleTxCodec,
  type Keypair,
} from '../../ledger/index.js'
import { signVote } from '../../consensus/certificate.js'
import { PROPOSAL_DOMAIN } from '../../consensus/evidence.js'
import { bindModel, register, sync, twinRegisterCodec, twinSyncCodec, type TwinCall } from '../../twin/contract.js'
import { twinRecordType, type TwinRecord } from '../../twin/record.js'
import { DitenNode } from '../../node/node.js'
import { rangeRequestCodec } from '../../node/chain/catch-up.js'
import { tangleRequestCodec } from '../../node/tangle/service.js'
import { blobRequestCodec } from '../../node/fl/blobs.js'
import { paramCount } from '../../fl/weights.js'
import { probeRequestCodec } from '../../node/chain/capability-meter.js'
import { statusCodec } from '../../node/status.js'
import type { FuzzTarget } from './harness.js'

const utf8 = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const DEFINITION = {
  id: 'dtmi:fuzz:meter;1',
  features: {
    state: { properties: { reading: { type: 'integer', minimum: 0 }, label: { type: 'string' }, on: { type: 'boolean', writable: true } } },
  },
}

export interface FuzzNode {
  node: DitenNode
  targets: FuzzTarget[]
  close(): Promise<void>
}

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`fuzz setup: ${what} did not happen within ${ms} ms`)
    await new Promise(r => setTimeout(r, 50))
  }
}

/** Starts a one-member node, commits a twin and a few syncs, and returns the targets. */
export async function fuzzNode(): Promise<FuzzNode> {
  const dir = await mkdtemp(join(tmpdir(), 'diten-fuzz-'))
  const key = generateKeypair()
  const params = defaultGenesisParams()
  params.consensus.blockIntervalMs = 100
  params.tangle.minApprovingMembers = 1
  const genesis = createGenesis({
    genesisTime: Date.now(),
    chainId: 'fuzz',
    params,
    members: [{ name: 'node-0', publicKey: toHex(key.publicKey), dataSize: 1 }],
  })
  const node = await DitenNode.init({
    name: 'node-0',
    genesis,
    keypair: key,
    dataDir: join(dir, 'data'),
    listen: '/ip4/127.0.0.1/tcp/0',
    peers: [],
    api: { host: '127.0.0.1', port: 0 },
    log: { level: 'silent' },
  })
  try {
    const device = generateKeypair()
    const twinId = 'fuzz:meter-1'
    await node.chain.submitOwn(
      'twin.register',
      twinRegisterCodec.encode({
        twinId,
        definition: JSON.stringify(DEFINITION),
        owner: toHex(device.publicKey),
        attributes: '{}',
        features: '{"state":{"properties":{"reading":0}}}',
      }),
    )
    await until('twin registration', () => node.chain.shards[0]!.state.twins.has(twinId))
    const syncTx = (nonce: number, patch: string) =>
      signTx(
        { chainId: genesis.chainId, kind: 'twin.sync', sender: device.publicKey, nonce, payload: twinSyncCodec.encode({ twinId, patch }) },
        device.secretKey,
      )
    for (let i = 0; i < 3; i++) await node.chain.submit(syncTx(i, `{"state":{"properties":{"reading":${i + 1}}}}`))
    await until('three syncs', () => node.chain.shards[0]!.state.twins.get(twinId)!.revision >= 4)
    return {
      node,
      targets: await targetsOf(node, key, device, twinId, syncTx),
      close: async () => {
        await node.close()
        await rm(dir, { recursive: true, force: true })
      },
    }
  } catch (e) {
    await node.close()
    await rm(dir, { recursive: true, force: true })
    throw e
  }
}

async function targetsOf(
  node: DitenNode,
  key: Keypair,
  device: Keypair,
  twinId: string,
  syncTx: (nonce: number, patch: string) => ReturnType<typeof signTx>,
): Promise<FuzzTarget[]> {
  const g = node.opts.genesis
  const self = node.self!
  const chain = node.chain
  // the head on disk (consensus may be a height ahead while its block is written)
  const head = chain.certifiedHead(0).head!
  const finalized = (await chain.store.blocks.get({ shard: 0, height: head.height }))!
  const next = syncTx(3, '{"state":{"properties":{"reading":9,"label":"x"}}}')
  const vote = {
    chainId: g.chainId,
    shard: 0,
    height: head.height + 1,
    round: 0,
    type: VoteType.prevote,
    blockHash: new Uint8Array(32).fill(7),
    validator: key.publicKey,
  }
  const stub = {
    chainId: g.chainId,
    shard: 0,
    height: head.height + 1,
    round: 0,
    validRound: -1,
    blockHash: new Uint8Array(32).fill(9),
    proposer: key.publicKey,
  }
  const root = tangleGenesisId(genesisHash(g))
  const tangleTx = signTangleTx(
    solvePow(
      {
        chainId: g.chainId,
        round: 1,
        trainer: 'trainer-0',
        member: key.publicKey,
        signer: key.publicKey,
        modelHash: new Uint8Array(32).fill(3),
        dataSize: 1,
        claimedAccuracyBp: 5000,
        trunk: root,
        branch: root,
        time: Date.now(),
      },
      g.params.tangle.powBits,
    ),
    key.secretKey,
  )
  const gossip = (name: Parameters<typeof node.gossip.check>[0], seeds: Uint8Array[]): FuzzTarget => ({
    name: `gossip.${name}`,
    seeds,
    run: b => node.gossip.check(name, b, self),
  })
  const reqresp = (name: string, seeds: Uint8Array[]): FuzzTarget => ({
    name: `reqresp.${name}`,
    seeds,
    run: async b => void (await node.reqresp.handleRaw(name, b, self)),
  })
  const call: TwinCall = {
    sender: toHex(device.publicKey),
    member: -1,
    time: 1,
    txId: '00',
    model: g.params.fl.model,
    weights: () => new Float32Array(0),
    globalModel: () => undefined,
    latestModel: () => undefined,
  }
  const twins = chain.shards[0]!.state.twins
  // a bound twin, made with the contract itself (model: any finite float32 weights of the genesis spec)
  const spec = g.params.fl.model
  const modelWeights = Float32Array.from({ length: paramCount(spec) }, (_, i) => ((i * 7919) % 13) - 6)
  const boundCall: TwinCall = { ...call, member: 0, weights: () => modelWeights, globalModel: r => (r === 0 ? 'ab'.repeat(32) : undefined) }
  const bound = new Map<string, TwinRecord>()
  const reg = register(
    bound,
    {
      twinId: 'fuzz:bound',
      definition: '{"id":"dtmi:fuzz:b;1","features":{"s":{"properties":{"v":{"type":"number"},"w":{"type":"number"}}}}}',
      owner: toHex(device.publicKey),
      attributes: '{}',
      features: '{}',
    },
    boundCall,
  )
  bound.set(reg.record.twinId, reg.record)
  const bind = bindModel(
    bound,
    { twinId: 'fuzz:bound', modelHash: 'ab'.repeat(32), round: 0, inputs: ['s.properties.v', 's.properties.w'] },
    boundCall,
  )
  bound.set(bind.record.twinId, bind.record)
  const rpcBodies = [
    { jsonrpc: '2.0', id: 1, method: 'node_status' },
    { jsonrpc: '2.0', id: 2, method: 'twin_get', params: { twinId, atRevision: 2 } },
    { jsonrpc: '2.0', id: 3, method: 'twin_history', params: { twinId, fromRevision: 1, toRevision: 3 } },
    { jsonrpc: '2.0', id: 4, method: 'chain_getBlock', params: { shard: 0, height: 1, format: 'ids' } },
    { jsonrpc: '2.0', id: 5, method: 'tx_get', params: { id: toHex(new Uint8Array(32)) } },
    { jsonrpc: '2.0', id: 6, method: 'twin_sync', params: { tx: toHex(signedTxCodec.encode(next)) } },
    [
      { jsonrpc: '2.0', id: 7, method: 'twin_list', params: { namespace: 'fuzz' } },
      { jsonrpc: '2.0', method: 'consensus_status' },
    ],
    {
      jsonrpc: '2.0',
      id: 8,
      method: 'twin_register',
      params: { twinId: 'fuzz:other', definition: DEFINITION, owner: toHex(device.publicKey) },
    },
    { jsonrpc: '2.0', id: 9, method: 'fl_status' },
    {
      jsonrpc: '2.0',
      id: 10,
      method: 'twin_registerMany',
      params: {
        definition: DEFINITION,
        twins: [
          { twinId: 'fuzz:bulk-1', owner: toHex(device.publicKey) },
          { twinId: 'fuzz:bulk-2', owner: toHex(device.publicKey), features: {} },
        ],
      },
    },
  ]
  return [
    gossip('status', [statusCodec.encode(node.statusMessage())]),
    gossip('tx', [txBatchCodec.encode([next]), txBatchCodec.encode([syncTx(0, '{}'), next])]),
    gossip('consensus', [
      consensusMsgCodec.encode({ vote: { vote, sig: signVote(vote, key.secretKey) } }),
      consensusMsgCodec.encode({
        proposal: {
          stub,
          sig: sign(key.secretKey, PROPOSAL_DOMAIN, proposalStubCodec.encode(stub)),
          block: compactOf(finalized.block, () => true),
        },
      }),
    ]),
    gossip('block', [compactFinalizedCodec.encode({ block: compactOf(finalized.block, () => true), cert: finalized.cert })]),
    gossip('tangle', [signedTangleTxCodec.encode(tangleTx)]),
    reqresp('status', [statusCodec.encode(node.statusMessage())]),
    reqresp('blocks', [rangeRequestCodec.encode({ shard: 0, from: 1, count: 4 })]),
    reqresp('txs', [txIdsCodec.encode([new Uint8Array(32).fill(3)])]),
    reqresp('tangle.txs', [tangleRequestCodec.encode({ ids: [root] })]),
    reqresp('fl.blob', [blobRequestCodec.encode({ hash: toHex(new Uint8Array(32).fill(1)) })]),
    reqresp('probe', [probeRequestCodec.encode({ work: 10, challenge: new Uint8Array(32).fill(2) })]),
    {
      name: 'jsonrpc',
      text: true,
      seeds: rpcBodies.map(b => utf8(JSON.stringify(b))),
      run: async b => {
        const res = await node.dispatcher.handleText(text(b), { admin: true })
        const all = res === undefined ? [] : Array.isArray(res) ? res : [res]
        const internal = all.find(r => 'error' in r && r.error.code === -32603)
        if (internal && 'error' in internal) throw new Error(`internal error: ${internal.error.message}`)
        if (all.some(r => 'error' in r)) throw new DitenError(ErrorCode.TX_INVALID, 'refused with a JSON-RPC error')
      },
    },
    {
      name: 'twin.patch',
      text: true,
      seeds: [
        '{"state":{"properties":{"reading":5}}}',
        '{"state":{"properties":{"label":"a","reading":null}}}',
        '{"state":{"properties":{"on":true}}}',
        '{"state":{"properties":{"toString":"x"}}}',
        '{"constructor":{"properties":{"x":1}}}',
        '{"state":{"properties":{"__proto__":{"reading":-1}}}}',
        '{"state":{"properties":{"reading":1e39}}}',
      ].map(utf8),
      run: b => void sync(twins, { twinId, patch: text(b) }, call),
    },
    {
      // a twin whose definition allows any number and whose model reads it: every accepted change must leave a record the state encodes
      name: 'twin.bound-sync',
      text: true,
      seeds: [
        '{"s":{"properties":{"v":1e39}}}',
        '{"s":{"properties":{"v":-1.7976931348623157e308,"w":3e38}}}',
        '{"s":{"properties":{"constructor":1}}}',
        '{"s":{"properties":{"v":5}}}',
      ].map(utf8),
      run: b => {
        const r = sync(bound, { twinId: 'fuzz:bound', patch: text(b) }, { ...call, weights: () => modelWeights })
        try {
          twinRecordType.check(r.record, 'twin')
        } catch (e) {
          // a change the contract accepted must encode: otherwise the shard could not commit its block (a crash, not a refusal)
          throw new Error(`accepted a change whose record does not encode: ${(e as Error).message}`)
        }
      },
    },
    {
      name: 'twin.definition',
      text: true,
      seeds: [
        utf8(JSON.stringify(DEFINITION)),
        utf8('{"id":"dtmi:a:b;1","features":{"f":{"properties":{"x":{"type":"object","properties":{"y":{"type":"double","unit":"m"}}}}}}}'),
        utf8('{"id":"dtmi:a:b;1","features":{"constructor":{"properties":{"toString":{"type":"number"}}}}}'),
        utf8('{"id":"dtmi:a:b;1","features":{"f":{"properties":{"__proto__":{"type":"number"}}}}}'),
      ],
      run: b =>
        void register(
          new Map(),
          { twinId: 'fuzz:new', definition: text(b), owner: toHex(device.publicKey), attributes: '{}', features: '{}' },
          { ...call, member: 0 },
        ),
    },
  ]
}
