/**
 * The probe twin of `diten fl run`: a twin whose definition names the FL task, registered on the
 * devnet before round 1 with one test image as its state. The chain binds every M(e) to it when
 * round e closes (no call), and its stored prediction is reported per round, so anyone can check
 * it against a forward pass of the saved M(e).
 */
import { generateKeypair, toHex } from '../../ledger/index.js'
import { RpcError, type DitenClient } from '../rpc/client.js'
import { twins } from '../rpc/twins.js'
import { sleep } from './launcher.js'

export const PROBE_TWIN = 'fl:probe-0'

export interface ProbeReport {
  twinId: string
  /** the twin's state: the first image of the test split, and its true label */
  input: number[]
  label: number
  /** the prediction the chain stored when it bound M(round) */
  rounds: { round: number; revision: number; hash: string; label: number; scores: number[] }[]
}

export async function registerProbe(admin: DitenClient, image: Float32Array): Promise<void> {
  const names = Array.from(image, (_, i) => `p${i}`)
  const definition = {
    id: 'dtmi:diten:flprobe;1',
    features: { pixels: { properties: {}, additionalProperties: true } },
    model: { task: 'fl', inputs: names.map(n => `pixels.properties.${n}`) },
  }
  const features = { pixels: { properties: Object.fromEntries(names.map((n, i) => [n, image[i]!])) } }
  const owner = toHex(generateKeypair().publicKey)
  // a freshly started devnet on a loaded machine may not commit within one call's timeout: try
  // again for a minute (an earlier attempt that did commit answers TWIN_EXISTS)
  for (let attempt = 1; ; attempt++) {
    try {
      await twins(admin).register({ twinId: PROBE_TWIN, definition, owner, features, wait: true })
      return
    } catch (e) {
      if (e instanceof RpcError && e.reason === 'TWIN_EXISTS') return
      if (attempt >= 6) throw e
      await sleep(2000)
    }
  }
}

/** The probe's prediction for each of rounds 1..rounds, once its shard has bound M(rounds) (waits up to 60 s). */
export async function probeRounds(node: DitenClient, rounds: number): Promise<ProbeReport['rounds']> {
  const t = twins(node)
  for (const until = Date.now() + 60_000; ((await t.get(PROBE_TWIN)).model?.round ?? 0) < rounds && Date.now() < until; ) await sleep(250)
  const binds = (await t.history(PROBE_TWIN)).changes.filter(c => c.kind === 'bindModel')
  const out: ProbeReport['rounds'] = []
  for (const b of binds) {
    const m = (await t.get(PROBE_TWIN, b.revision)).model
    if (m) out.push({ round: m.round, revision: b.revision, hash: m.hash, label: m.label, scores: m.scores })
  }
  return out
}
