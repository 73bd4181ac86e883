/**
 * A TCP relay that delays every byte: it listens on one address, connects each accepted socket to
 * another and forwards both directions, each chunk held for `delay ± jitter` ms (order kept: a
 * chunk never leaves before the one in front of it). Stands in for link latency where the kernel
 * has no netem qdisc: run inside a host's network namespace in front of its node, so everything
 * that reaches the node over the network is delayed once per direction.
 *
 *   node dist/scripts/net/delay-relay.js --listen 10.0.0.2:26600 --to 127.0.0.1:26600 --delay-ms 50 --jitter-ms 10
 */
import { createServer, connect, type Socket } from 'node:net'
import { parseArgs } from 'node:util'

/** Forwards chunks from `from` to `to`, each after its own delay, never overtaking. */
function delayedPipe(from: Socket, to: Socket, delay: () => number): void {
  const queue: { due: number; chunk: Buffer }[] = []
  let timer: NodeJS.Timeout | undefined
  let lastDue = 0
  let ended = false
  const drain = () => {
    timer = undefined
    const now = Date.now()
    while (queue.length && queue[0]!.due <= now) to.write(queue.shift()!.chunk)
    if (queue.length) timer = setTimeout(drain, queue[0]!.due - now)
    else if (ended) to.end()
  }
  from.on('data', (chunk: Buffer) => {
    lastDue = Math.max(Date.now() + delay(), lastDue)
    queue.push({ due: lastDue, chunk })
    timer ??= setTimeout(drain, Math.max(0, queue[0]!.due - Date.now()))
  })
  from.on('end', () => {
    ended = true
    if (!queue.length && !timer) to.end()
  })
}

function hostPort(s: string, flag: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(s)
  if (!m) throw new Error(`${flag}: expected host:port, got "${s}"`)
  return { host: m[1]!, port: Number(m[2]) }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string' },
      to: { type: 'string' },
      'delay-ms': { type: 'string', default: '50' },
      'jitter-ms': { type: 'string', default: '0' },
    },
  })
  if (!values.listen || !values.to) throw new Error('usage: delay-relay --listen host:port --to host:port [--delay-ms 50] [--jitter-ms 10]')
  const listen = hostPort(values.listen, '--listen')
  const to = hostPort(values.to, '--to')
  const base = Number(values['delay-ms'])
  const jitter = Number(values['jitter-ms'])
  if (!(base >= 0) || !(jitter >= 0) || jitter > base) throw new Error('--delay-ms ≥ --jitter-ms ≥ 0')
  const delay = () => base + (2 * Math.random() - 1) * jitter
  const server = createServer(inbound => {
    const outbound = connect(to.port, to.host)
    const close = () => {
      inbound.destroy()
      outbound.destroy()
    }
    inbound.on('error', close).on('close', close)
    outbound.on('error', close).on('close', close)
    delayedPipe(inbound, outbound, delay)
    delayedPipe(outbound, inbound, delay)
  })
  server.on('error', e => {
    console.error(`delay-relay: ${e.message}`)
    process.exit(1)
  })
  server.listen(listen.port, listen.host, () =>
    console.log(`delay-relay ${values.listen} -> ${values.to}: ${base} ms ± ${jitter} ms each way`),
  )
  process.on('SIGTERM', () => server.close(() => process.exit(0)))
}

main()
