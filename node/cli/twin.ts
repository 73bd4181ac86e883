/** `diten twin …`: twin calls from the command line (register, import, sync, desired, get, history, list, watch). */
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DitenError, ErrorCode, shortId } from '../../ledger/index.js'
import { DitenClient, RpcError } from '../rpc/client.js'
import { TwinDevice, twins, verifiedTwin, type TwinCallResult } from '../rpc/twins.js'
import { readKeyFile, writeKeyFile } from '../keyfile.js'
import { generateKeypair } from '../../ledger/index.js'
import { DEFAULT_DEVNET_DIR, readDevnetFile, type DevnetFile } from '../harness/devnet-file.js'
import { UsageError, intFlag } from './errors.js'
import type { Json } from '../../twin/json.js'
import { runImport } from './twin-import.js'

export const twinHelp = `diten twin <command> <twinId> [options]   digital twin calls

  register <id>  [--definition FILE|JSON] [--attributes JSON] [--features JSON]
                 registers the twin hosted by the node's member; creates its device key
                 (default definition: dtmi:diten:generic;1, a "state" feature with any properties)
  sync <id>      --patch JSON [--if-revision N]   JSON merge patch of features[*].properties, signed by the device key
  desired <id>   --patch JSON [--if-revision N]   merge patch of features[*].desiredProperties (writable ones), by the member
  retire <id>
  import <file>  [--definition FILE|JSON] [--concurrency N]   a fleet from a JSON-lines file, one twin per line
                 {"twinId", "owner"?, "attributes"?, "features"?}; lines without owner get a device key
                 (in --keys); pipelined twin_registerMany calls with progress; exit 1 if any is refused
  get <id>       [--revision N] [--verify-with URL]
                 --verify-with: prove the twin against its shard's certified state root, with the
                 committee that the node at URL (one you trust) names; --api may be any node
  history <id>   [--from N] [--to N]
  list           [--namespace NS]
  watch [<id>]   [--namespace NS]   print each committed change until Ctrl-C

common options:
  --api URL      a node's public API (default: $DITEN_API, else the first node of ${DEFAULT_DEVNET_DIR}/devnet.json)
  --admin URL    its admin API, for the calls the member signs (register, desired, retire)
  --token-file F the admin API's bearer token (default: that node's data/admin.token)
  --keys DIR     device keys (default: ${DEFAULT_DEVNET_DIR}/devices)
  --wait         return after the change is committed, with the new revision
  --json         machine-readable output`

export const GENERIC_DEFINITION = { id: 'dtmi:diten:generic;1', features: { state: { properties: {}, additionalProperties: true } } }

function jsonFlag(v: string | undefined, name: string): Json | undefined {
  if (v === undefined) return undefined
  try {
    return JSON.parse(v) as Json
  } catch (e) {
    throw new UsageError(`--${name} is not valid JSON: ${(e as Error).message}`)
  }
}

async function devnetNode(flag: string): Promise<DevnetFile['nodes'][number]> {
  const first = (await readDevnetFile(DEFAULT_DEVNET_DIR, flag)).nodes[0]
  if (!first) throw new UsageError(`${DEFAULT_DEVNET_DIR}/devnet.json lists no node; pass ${flag}`)
  return first
}

/** The admin API client: --admin and --token-file, or the first devnet node's. */
async function adminClient(values: { admin?: string; 'token-file'?: string }): Promise<DitenClient> {
  const url = values.admin ?? (await devnetNode('--admin URL --token-file F')).admin
  const tokenFile = values['token-file'] ?? (values.admin ? undefined : (await devnetNode('--token-file F')).adminTokenFile)
  if (!tokenFile) throw new UsageError("--admin needs --token-file F (the node's data/admin.token)")
  return DitenClient.admin(url, tokenFile, { timeoutMs: 40_000 })
}

/** --definition: inline JSON or a file holding it. */
async function definitionFlag(v: string | undefined): Promise<Json | undefined> {
  if (v === undefined) return undefined
  if (v.trim().startsWith('{')) return jsonFlag(v, 'definition')
  const text = await readFile(v, 'utf8').catch((e: Error) => {
    throw new UsageError(`--definition: cannot read ${v}: ${e.message}`)
  })
  return jsonFlag(text, 'definition')
}

const keyPath = (dir: string, twinId: string) => join(dir, `${twinId.replace(/[^A-Za-z0-9_.@-]/g, '_')}.key`)

export async function runTwin(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  const { values, positionals } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: {
      api: { type: 'string' },
      admin: { type: 'string' },
      'token-file': { type: 'string' },
      keys: { type: 'string' },
      wait: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      definition: { type: 'string' },
      attributes: { type: 'string' },
      features: { type: 'string' },
      patch: { type: 'string' },
      'if-revision': { type: 'string' },
      revision: { type: 'string' },
      'verify-with': { type: 'string' },
      concurrency: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      namespace: { type: 'string' },
    },
  })
  const node = new DitenClient(values.api ?? process.env.DITEN_API ?? (await devnetNode('--api URL (or DITEN_API)')).api, {
    timeoutMs: 40_000,
  })
  const t = twins(node)
  const member = async () => twins(await adminClient(values))
  const keys = values.keys ?? join(DEFAULT_DEVNET_DIR, 'devices')
  const id = positionals[0]
  const need = () => {
    if (!id) throw new UsageError(`diten twin ${cmd} needs a twin id, e.g. acme:pump-1`)
    return id
  }
  const out = (v: unknown, text: string) => console.log(values.json ? JSON.stringify(v) : text)
  const done = (r: TwinCallResult, what: string) =>
    out(
      r,
      r.status === 'committed'
        ? `${what} ${r.revision !== undefined ? `(revision ${r.revision}, ` : '('}shard ${r.shard}, block ${r.height})`
        : `${what}: submitted as ${r.id} (shard ${r.shard}); --wait returns after commit`,
    )
  const ifRevision =
    values['if-revision'] === undefined ? {} : { ifRevision: intFlag(values['if-revision'], 'if-revision', 0, 0, Number.MAX_SAFE_INTEGER) }
  try {
    switch (cmd) {
      case 'import':
        return runImport({
          admin: await adminClient(values),
          file:
            id ??
            (() => {
              throw new UsageError(
                'diten twin import needs a file: one JSON twin per line, {"twinId", "owner"?, "attributes"?, "features"?}',
              )
            })(),
          definition: (await definitionFlag(values.definition)) ?? GENERIC_DEFINITION,
          keys,
          keyPath: twinId => keyPath(keys, twinId),
          concurrency: values.concurrency === undefined ? 4 : intFlag(values.concurrency, 'concurrency', 4, 1, 64),
          json: values.json!,
        })
      case 'register': {
        const twinId = need()
        const definition = await definitionFlag(values.definition)
        const attributes = jsonFlag(values.attributes, 'attributes')
        const features = jsonFlag(values.features, 'features')
        const registrar = await member()
        await mkdir(keys, { recursive: true, mode: 0o700 })
        const kp = generateKeypair()
        const file = keyPath(keys, twinId)
        await writeKeyFile(file, kp).catch((e: NodeJS.ErrnoException) => {
          throw e.code === 'EEXIST'
            ? new UsageError(`${file} exists: a device key for ${twinId} was made before (delete it to start over)`)
            : e
        })
        const device = new TwinDevice(node, twinId, kp)
        let r: TwinCallResult
        try {
          r = await registrar.register({
            twinId,
            definition: definition ?? GENERIC_DEFINITION,
            owner: device.publicKey,
            ...(attributes ? { attributes } : {}),
            ...(features ? { features } : {}),
            wait: values.wait,
          })
        } catch (e) {
          // refused, or the node was not reached: nothing holds this key, so a retry may make another;
          // a wait that timed out keeps it (the registration may still commit)
          if (!(e instanceof RpcError && e.reason === ErrorCode.WAIT_TIMEOUT)) await rm(file, { force: true })
          throw e
        }
        done(r, `registered ${twinId}; device key ${file}`)
        return 0
      }
      case 'sync':
      case 'desired': {
        const twinId = need()
        const patch = jsonFlag(values.patch, 'patch')
        if (patch === undefined) throw new UsageError(`diten twin ${cmd} needs --patch JSON, e.g. '{"state":{"properties":{"rpm":1200}}}'`)
        if (cmd === 'desired') {
          done(await (await member()).setDesired({ twinId, patch, ...ifRevision, wait: values.wait }), `set desired values of ${twinId}`)
          return 0
        }
        const device = new TwinDevice(node, twinId, await readKeyFile(keyPath(keys, twinId)))
        done(await device.sync(patch, { ...ifRevision, wait: values.wait }), `synced ${twinId}`)
        return 0
      }
      case 'retire':
        done(await (await member()).retire({ twinId: need(), wait: values.wait }), `retired ${need()}`)
        return 0
      case 'get': {
        if (values['verify-with'] !== undefined) {
          if (values.revision !== undefined) throw new UsageError('--verify-with proves the head state: leave out --revision')
          const twinId = need()
          const r = await verifiedTwin(node, new DitenClient(values['verify-with']), twinId)
          out(
            r,
            r.record
              ? `${twinId}  revision ${r.record.revision}  proved against shard ${r.shard} height ${r.height}, certified by the committee ${values['verify-with']} names\nfeatures   ${r.record.features}`
              : `${twinId} does not exist: proved absent at shard ${r.shard} height ${r.height}`,
          )
          return 0
        }
        const v = await t.get(
          need(),
          values.revision === undefined ? undefined : intFlag(values.revision, 'revision', 0, 1, Number.MAX_SAFE_INTEGER),
        )
        out(
          v,
          `${v.twinId}  revision ${v.revision}${v.retired ? '  (retired)' : ''}  ${v.definition}  owner ${shortId(v.owner)}…  modified ${new Date(v.modified).toISOString()}\nattributes ${JSON.stringify(v.attributes)}\nfeatures   ${JSON.stringify(v.features, null, 2).replace(/\n/g, '\n           ')}${v.model ? `\nmodel      round ${v.model.round} (${v.model.hash.slice(0, 12)}…) label ${v.model.label}` : ''}`,
        )
        return 0
      }
      case 'history': {
        const h = await t.history(
          need(),
          values.from === undefined ? undefined : intFlag(values.from, 'from', 1, 1, Number.MAX_SAFE_INTEGER),
          values.to === undefined ? undefined : intFlag(values.to, 'to', 1, 1, Number.MAX_SAFE_INTEGER),
        )
        out(
          h,
          h.changes
            .map(
              c => `${String(c.revision).padStart(6)}  ${new Date(c.time).toISOString()}  ${c.kind.padEnd(10)} ${JSON.stringify(c.change)}`,
            )
            .join('\n') || '(no changes in that range)',
        )
        return 0
      }
      case 'list': {
        // every page: the node answers at most 1,000 twins per call and a cursor to the next
        const all: Awaited<ReturnType<typeof t.list>>['twins'] = []
        let cursor: string | null = null
        do {
          const page: Awaited<ReturnType<typeof t.list>> = await t.list({
            ...(values.namespace ? { namespace: values.namespace } : {}),
            ...(cursor ? { cursor } : {}),
            limit: 1000,
          })
          all.push(...page.twins)
          cursor = page.cursor
        } while (cursor)
        const l = { twins: all }
        out(
          l,
          l.twins
            .map(x => `${x.twinId.padEnd(32)} revision ${String(x.revision).padStart(6)}  ${x.definition}${x.retired ? '  retired' : ''}`)
            .join('\n') || '(no twins)',
        )
        return 0
      }
      case 'watch': {
        const stop = new AbortController()
        process.once('SIGINT', () => stop.abort())
        process.once('SIGTERM', () => stop.abort())
        if (!values.json)
          console.error(`watching ${id ?? (values.namespace ? `namespace ${values.namespace}` : 'every twin')} (Ctrl-C stops)`)
        await t.watch(
          { ...(id ? { twin: id } : {}), ...(values.namespace ? { namespace: values.namespace } : {}) },
          e => out(e, `${e.twinId}@${e.revision}  ${e.kind.padEnd(10)} ${JSON.stringify(e.change)}`),
          stop.signal,
        )
        return 0
      }
      default:
        throw new UsageError(`unknown twin command "${cmd ?? ''}"\n\n${twinHelp}`)
    }
  } catch (e) {
    if (e instanceof RpcError) throw new DitenError((e.reason ?? ErrorCode.TX_INVALID) as ErrorCode, e.message)
    throw e
  }
}
