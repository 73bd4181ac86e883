/** A committed twin change for event-stream tests: made by the twin contract, at height `i` with revision `i`. */
import { generateKeypair, toHex } from '../../ledger/index.js'
import { register } from '../../twin/contract.js'
import type { TwinEvent } from '../../twin/record.js'

export function twinEvent(i: number, features = '{}'): TwinEvent {
  const owner = toHex(generateKeypair().publicKey)
  const r = register(
    new Map(),
    {
      twinId: 'plant:p-1',
      definition: '{"id":"dtmi:a:b;1","features":{"s":{"properties":{},"additionalProperties":true}}}',
      owner,
      attributes: '{}',
      features,
    },
    {
      sender: owner,
      member: 0,
      time: 1,
      txId: 'ab'.repeat(32),
      model: { layers: [1, 1], activation: 'relu' },
      weights: () => new Float32Array(2),
      globalModel: () => undefined,
      latestModel: () => undefined,
    },
  )
  return { ...r.event, revision: i, shard: 0, height: i, record: r.record }
}
