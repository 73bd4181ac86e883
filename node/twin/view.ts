/** How a twin record looks to API users: Ditto-like JSON with parsed documents. */
import type { TwinRecord } from '../../twin/record.js'

export function twinJson(t: TwinRecord) {
  const def = JSON.parse(t.definition) as { id: string }
  return {
    twinId: t.twinId,
    definition: def.id,
    owner: t.owner,
    host: t.host,
    revision: t.revision,
    created: t.created,
    modified: t.modified,
    retired: t.retired,
    attributes: JSON.parse(t.attributes) as unknown,
    features: JSON.parse(t.features) as unknown,
    ...(t.model ? { model: t.model } : {}),
  }
}
