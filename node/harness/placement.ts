/**
 * Where each member of a new network runs: `name=host:port` (from `diten init --member` or a
 * hosts file). The host is an IPv4/IPv6 address or a DNS name; the port is the member's p2p port
 * (its public API takes port + 1, its admin API port + 2 and its metrics port + 3, as on one host).
 */
import { NAME_PATTERN } from '../../ledger/index.js'
import { UsageError } from './errors.js'

export interface Placement {
  name: string
  host: string
  port: number
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/** `/ip4/…`, `/ip6/…` or `/dns/…` for a host given as an address or a name. */
export function hostProtocol(host: string): 'ip4' | 'ip6' | 'dns' {
  const v4 = IPV4.exec(host)
  if (v4) {
    if (v4.slice(1).some(o => Number(o) > 255)) throw new UsageError(`${host}: not an IPv4 address`)
    return 'ip4'
  }
  if (host.includes(':')) return 'ip6'
  if (DNS_NAME.test(host)) return 'dns'
  throw new UsageError(`${host}: not an IP address or a DNS name`)
}

/** The p2p multiaddr of host:port, e.g. /ip4/10.0.0.5/tcp/26600. */
export function tcpMultiaddr(host: string, port: number): string {
  return `/${hostProtocol(host)}/${host}/tcp/${port}`
}

/** One `name=host:port` entry (IPv6 hosts in brackets: `name=[fd00::1]:26600`). */
export function parsePlacement(entry: string, where: string): Placement {
  const m = /^([^=\s]+)=(\[[0-9A-Fa-f:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(entry.trim())
  if (!m) throw new UsageError(`${where}: "${entry}" is not name=host:port (e.g. node-0=10.0.0.5:26600)`)
  const [, name, rawHost, rawPort] = m as unknown as [string, string, string, string]
  if (!NAME_PATTERN.test(name)) throw new UsageError(`${where}: member name "${name}": 1-32 lower-case letters, digits and dashes`)
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost
  hostProtocol(host)
  const port = Number(rawPort)
  // the admin API takes port + 2, metrics port + 3
  if (port < 1 || port > 65532) throw new UsageError(`${where}: port ${port} out of range 1-65532`)
  return { name, host, port }
}

/** A hosts file: one `name=host:port` per line; blank lines and `#` comments are skipped. */
export function parseHostsFile(text: string, file: string): Placement[] {
  const out: Placement[] = []
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*$/, '').trim()
    if (line) out.push(parsePlacement(line, `${file}:${i + 1}`))
  }
  return out
}

/** Distinct names, and no two members on the same host and port range (p2p, API, admin). */
export function checkPlacements(placements: Placement[]): void {
  const names = new Set<string>()
  const taken = new Map<string, string>()
  for (const p of placements) {
    if (names.has(p.name)) throw new UsageError(`member ${p.name} is placed twice`)
    names.add(p.name)
    for (let port = p.port; port < p.port + 4; port++) {
      const key = `${p.host}:${port}`
      const other = taken.get(key)
      if (other) throw new UsageError(`${p.name} and ${other} both need ${key} (a member takes its port and the next three)`)
      taken.set(key, p.name)
    }
  }
}
