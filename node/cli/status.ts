import { parseArgs } from 'node:util'
import { DitenClient } from '../rpc/client.js'
import type { NodeStatus } from '../rpc/types.js'
import { formatDuration, formatTable, shortPeerId } from '../harness/table.js'
import { DEFAULT_DEVNET_DIR, readDevnetFile } from '../harness/devnet-file.js'
import { READ_FLAGS } from './api-client.js'

export const statusHelp = `diten status [--devnet D | --api URL] [--json]   show the nodes of a devnet (default ${DEFAULT_DEVNET_DIR})`

interface Row {
  name: string
  api: string
  status?: NodeStatus
  error?: string
}

export async function runStatus(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: READ_FLAGS,
  })
  let targets: { name: string; api: string }[]
  const api = values.api ?? process.env.DITEN_API
  if (api) targets = [{ name: '?', api }]
  else targets = (await readDevnetFile(values.devnet!, '--api URL')).nodes
  const rows: Row[] = await Promise.all(
    targets.map(async t => {
      try {
        return { ...t, status: await new DitenClient(t.api, { timeoutMs: 3000 }).status() }
      } catch (e) {
        return { ...t, error: (e as Error).message }
      }
    }),
  )
  if (values.json) {
    console.log(
      JSON.stringify(
        rows.map(r => r.status ?? { name: r.name, api: r.api, error: r.error }),
        null,
        2,
      ),
    )
  } else {
    console.log(
      formatTable(
        ['NAME', 'STATE', 'PEER ID', 'API', 'PEERS', 'HEIGHTS', 'UPTIME', 'STARTS', 'VERSION'],
        rows.map(r =>
          r.status
            ? [
                r.status.name,
                'up',
                shortPeerId(r.status.peerId),
                r.api,
                `${r.status.memberPeers.connected}/${r.status.memberPeers.total}`,
                r.status.heads.join('/'),
                formatDuration(r.status.uptimeMs),
                String(r.status.starts),
                r.status.version,
              ]
            : [r.name, 'down', '-', r.api, '-', '-', '-', '-', '-'],
        ),
      ),
    )
  }
  return rows.every(r => r.status) ? 0 : 1
}
