/**
 * The diten explorer: one page served by every node, reading only that node's own API (same
 * origin). Hash routes: #/ network, #/chain[/shard], #/block/shard/height, #/tx/id, #/tangle,
 * #/fl, #/twins, #/twin/id, #/faults.
 */
import { render } from 'preact'
import { useEffect } from 'preact/hooks'
import './style.css'
import { batch, RpcError } from './rpc'
import { usePoll, useRoute } from './poll'
import { NetworkContext } from './network'
import { recordHeights } from './heights'
import { Mark } from './ui'
import { NetworkPage } from './pages/network'
import { BlockPage, ChainPage, TxPage } from './pages/chain'
import { TanglePage } from './pages/tangle'
import { FlPage } from './pages/fl'
import { TwinPage, TwinsPage } from './pages/twins'
import { FaultsPage } from './pages/faults'
import type { ConsensusStatus, NodeStatus } from './types'

const NAV: [string, string][] = [
  ['', 'Network'],
  ['chain', 'Chain'],
  ['tangle', 'Tangle'],
  ['fl', 'Learning'],
  ['twins', 'Twins'],
  ['faults', 'Faults'],
]

const int = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined)

function Page({ route }: { route: string[] }) {
  const [page, a, b] = route
  switch (page ?? '') {
    case '':
      return <NetworkPage />
    case 'chain':
      return <ChainPage shard={int(a)} />
    case 'block':
      return int(a) !== undefined && int(b) !== undefined ? <BlockPage shard={int(a)!} height={int(b)!} /> : <NotFound />
    case 'tx':
      return a ? <TxPage id={a.toLowerCase()} /> : <NotFound />
    case 'tangle':
      return <TanglePage />
    case 'fl':
      return <FlPage />
    case 'twins':
      return <TwinsPage />
    case 'twin':
      return a ? <TwinPage id={a} /> : <NotFound />
    case 'faults':
      return <FaultsPage />
    default:
      return <NotFound />
  }
}

function NotFound() {
  return (
    <p>
      No such page. <a href="#/">Back to the network.</a>
    </p>
  )
}

function App() {
  const route = useRoute()
  const net = usePoll(async () => {
    const [status, consensus] = await batch<unknown>([
      ['node_status', {}],
      ['consensus_status', {}],
    ])
    for (const r of [status, consensus]) if (r instanceof RpcError) throw r
    return { status: status as NodeStatus, consensus: consensus as ConsensusStatus }
  }, 2000)
  const status = net.data?.status
  useEffect(() => {
    if (status) recordHeights(status.heads)
  }, [status])
  useEffect(() => {
    document.title = status ? `${status.name} · diten explorer` : 'diten explorer'
  }, [status?.name])
  const here = route[0] ?? ''
  const current = here === 'block' || here === 'tx' ? 'chain' : here === 'twin' ? 'twins' : here
  return (
    <NetworkContext.Provider value={{ status, consensus: net.data?.consensus, error: net.error }}>
      <header class="top">
        <div class="brand">
          <strong>diten</strong> explorer
          {status && (
            <span class="node">
              {' '}
              · {status.name} · {status.chainId}
            </span>
          )}
        </div>
        <div class="heads" data-testid="heads">
          {status ? `heights ${status.heads.join(' / ')}` : '…'}{' '}
          {net.error ? <Mark tone="bad">node unreachable</Mark> : status ? <Mark tone="ok">live</Mark> : null}
        </div>
        <nav>
          {NAV.map(([r, label]) => (
            <a href={`#/${r}`} aria-current={current === r ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
      </header>
      <main>
        <Page route={route} />
      </main>
    </NetworkContext.Provider>
  )
}

const root = document.getElementById('app')!
root.textContent = ''
render(<App />, root)
