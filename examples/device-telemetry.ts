/**
 * A device that reports telemetry to its digital twin: it signs each sync with its own key (the
 * twin was registered with this key as owner, e.g. by `diten twin register <id> --keys DIR`) and
 * sends it to any member's public API (the generic definition's "state" feature takes any properties).
 *
 *   DITEN_API=http://127.0.0.1:26601 TWIN=site:sensor-1 DEVICE_KEY=.devnet/devices/site_sensor-1.key \
 *     COUNT=5 node dist/examples/device-telemetry.js
 */
import { readFile } from 'node:fs/promises'
import { DitenClient, RpcError, TwinDevice, fromHex, keypairFromSecret } from 'diten/client'

const api = process.env.DITEN_API ?? 'http://127.0.0.1:26601'
const twinId = process.env.TWIN ?? 'site:sensor-1'
const keyFile = process.env.DEVICE_KEY ?? `.devnet/devices/${twinId.replace(/[^A-Za-z0-9_.-]/g, '_')}.key`
const count = Number(process.env.COUNT ?? 10)

const { secretKey } = JSON.parse(await readFile(keyFile, 'utf8')) as { secretKey: string }
const device = new TwinDevice(new DitenClient(api, { timeoutMs: 30_000 }), twinId, keypairFromSecret(fromHex(secretKey)))

for (let i = 1; i <= count; i++) {
  const reading = { temperature: Math.round((20 + 5 * Math.sin(i / 3)) * 10) / 10, seq: i }
  try {
    // the last reading waits for its block; the others are only admitted (calls stay in order)
    const r = await device.sync({ state: { properties: reading } }, { wait: i === count })
    console.log(`reading ${i}: ${JSON.stringify(reading)} → ${r.status}${r.revision ? ` at revision ${r.revision}` : ''}`)
  } catch (e) {
    if (e instanceof RpcError) console.error(`reading ${i} refused: ${e.reason ?? e.code} ${e.message}`)
    else console.error(`reading ${i} failed: ${(e as Error).message}`)
    process.exitCode = 1
  }
}
