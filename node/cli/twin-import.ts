/**
 * `diten twin import <file>`: registers a fleet from a JSON-lines file, one twin per line —
 * `{"twinId": "acme:pump-1", "owner": "<device public key>", "attributes": {…}, "features": {…}}` —
 * in pipelined `twin_registerMany` calls (node/rpc/fleet.ts), showing progress. A line without
 * `owner` gets a new device key, written to the keys folder as `diten twin register` does.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { generateKeypair, toHex } from '../../ledger/index.js'
import type { DitenClient } from '../rpc/client.js'
import { importFleet, type FleetTwin } from '../rpc/fleet.js'
import { writeKeyFile } from '../keyfile.js'
import { UsageError } from './errors.js'
import type { Json } from '../../twin/json.js'

const HEX32 = /^[0-9a-f]{64}$/

/** The fleet in a JSON-lines file; a malformed line is a UsageError naming it. */
export async function readFleet(file: string): Promise<FleetTwin[]> {
  const text = await readFile(file, 'utf8').catch((e: Error) => {
    throw new UsageError(`cannot read ${file}: ${e.message}`)
  })
  const fleet: FleetTwin[] = []
  const seen = new Set<string>()
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (!line) return
    const where = `${file}:${i + 1}`
    let v: unknown
    try {
      v = JSON.parse(line)
    } catch (e) {
      throw new UsageError(`${where}: not JSON (${(e as Error).message})`)
    }
    const t = v as Record<string, unknown>
    if (!t || typeof t !== 'object' || Array.isArray(t))
      throw new UsageError(`${where}: expected an object {twinId, owner?, attributes?, features?}`)
    const extra = Object.keys(t).filter(k => !['twinId', 'owner', 'attributes', 'features'].includes(k))
    if (extra.length) throw new UsageError(`${where}: unknown field ${extra[0]} (known: twinId, owner, attributes, features)`)
    if (typeof t.twinId !== 'string') throw new UsageError(`${where}: twinId must be a string`)
    if (t.owner !== undefined && (typeof t.owner !== 'string' || !HEX32.test(t.owner)))
      throw new UsageError(`${where}: owner must be a device public key, 64 lower-case hex characters`)
    if (seen.has(t.twinId)) throw new UsageError(`${where}: ${t.twinId} is listed twice`)
    seen.add(t.twinId)
    fleet.push({
      twinId: t.twinId,
      owner: (t.owner as string | undefined) ?? '',
      ...(t.attributes !== undefined ? { attributes: t.attributes as Json } : {}),
      ...(t.features !== undefined ? { features: t.features as Json } : {}),
    })
  })
  if (fleet.length === 0) throw new UsageError(`${file} lists no twin`)
  return fleet
}

export async function runImport(o: {
  admin: DitenClient
  file: string
  definition: Json
  keys: string
  keyPath: (twinId: string) => string
  concurrency: number
  json: boolean
}): Promise<number> {
  const fleet = await readFleet(o.file)
  // device keys for the lines without an owner, written before anything is sent
  const made = fleet.filter(t => !t.owner)
  if (made.length) await mkdir(o.keys, { recursive: true, mode: 0o700 })
  for (const t of made) {
    const kp = generateKeypair()
    await writeKeyFile(o.keyPath(t.twinId), kp).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'EEXIST' ? new UsageError(`${o.keyPath(t.twinId)} exists: a device key for ${t.twinId} was made before`) : e
    })
    t.owner = toHex(kp.publicKey)
  }
  const t0 = Date.now()
  let last = 0
  const r = await importFleet(o.admin, o.definition, fleet, {
    concurrency: o.concurrency,
    onProgress: p => {
      if (o.json || Date.now() - last < 2000) return
      last = Date.now()
      const rate = p.registered / Math.max(0.001, (Date.now() - t0) / 1000)
      console.error(`imported ${p.registered}/${p.total} twins (${Math.round(rate)}/s), ${p.refused} refused`)
    },
  })
  const s = (Date.now() - t0) / 1000
  if (o.json) console.log(JSON.stringify({ ...r, seconds: s }))
  else {
    console.log(
      `imported ${r.registered} of ${r.total} twins in ${s.toFixed(1)} s (${Math.round(r.registered / Math.max(s, 0.001))}/s); ${made.length} device keys in ${o.keys}`,
    )
    for (const f of r.failures.slice(0, 20))
      console.log(`refused ${f.twinIds.length} twins (${f.twinIds[0] ?? '?'} …): ${f.code}: ${f.message}`)
    if (r.failures.length > 20) console.log(`… and ${r.failures.length - 20} more refused transactions`)
  }
  return r.refused > 0 ? 1 : 0
}
