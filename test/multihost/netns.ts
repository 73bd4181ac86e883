/**
 * A lab of "machines" on this one: each host a Linux network namespace with its own private IPv4
 * address on a veth pair, all pairs plugged into a bridge that lives in a namespace of its own;
 * this process reaches the hosts through one more veth pair into the bridge (address .254). A host
 * is cut off by taking its link down on the bridge side. Everything is removed by close().
 * Needs root and iproute2 (`ip`).
 */
import { execFileSync, spawnSync } from 'node:child_process'

export interface LabHost {
  /** the network namespace (run a command there with `ip netns exec <ns> …`) */
  ns: string
  ip: string
}

export interface Lab {
  hosts: LabHost[]
  /** the address of this process on the lab's subnet */
  gatewayIp: string
  /** cut a host off the bridge (its link down) / plug it back */
  unplug(i: number): void
  plug(i: number): void
  /** the command prefix that runs a program on host i */
  wrap(i: number): string[]
  close(): void
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Why a lab cannot be made here, or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'making network namespaces needs root (run as root or with CAP_NET_ADMIN)'
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
  if (probe.error) return `iproute2's "ip" is not installed (${probe.error.message}); apt-get install iproute2`
  if (probe.status !== 0) return `"ip netns list" failed: ${probe.stderr.trim()}`
  return undefined
}

/** A lab of `n` hosts on 10.<a>.<b>.0/24 (a, b from `tag`). */
export function createLab(n: number, tag: number): Lab {
  if (n < 1 || n > 200) throw new Error('1..200 hosts')
  const t = (tag % 4096).toString(36)
  const subnet = `10.${200 + ((tag >> 8) % 50)}.${tag % 256}`
  const bridgeNs = `dt${t}-br`
  const hosts: LabHost[] = Array.from({ length: n }, (_, i) => ({ ns: `dt${t}-h${i}`, ip: `${subnet}.${i + 1}` }))
  const bridgeSide = (i: number) => `dt${t}b${i}`
  const made: string[] = []
  const lab: Lab = {
    hosts,
    gatewayIp: `${subnet}.254`,
    unplug: i => ip('-n', bridgeNs, 'link', 'set', bridgeSide(i), 'down'),
    plug: i => ip('-n', bridgeNs, 'link', 'set', bridgeSide(i), 'up'),
    wrap: i => ['ip', 'netns', 'exec', hosts[i]!.ns],
    close() {
      for (const ns of made.splice(0).reverse()) spawnSync('ip', ['netns', 'del', ns])
      // the gateway pair goes with the bridge namespace; a leftover is removed here
      spawnSync('ip', ['link', 'del', `dt${t}gw`])
    },
  }
  try {
    ip('netns', 'add', bridgeNs)
    made.push(bridgeNs)
    ip('-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge')
    ip('-n', bridgeNs, 'link', 'set', 'br0', 'up')
    for (const [i, h] of hosts.entries()) {
      ip('netns', 'add', h.ns)
      made.push(h.ns)
      const inside = `dt${t}n${i}`
      ip('link', 'add', bridgeSide(i), 'type', 'veth', 'peer', 'name', inside)
      ip('link', 'set', bridgeSide(i), 'netns', bridgeNs)
      ip('link', 'set', inside, 'netns', h.ns)
      ip('-n', bridgeNs, 'link', 'set', bridgeSide(i), 'master', 'br0')
      ip('-n', bridgeNs, 'link', 'set', bridgeSide(i), 'up')
      ip('-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', inside)
      ip('-n', h.ns, 'link', 'set', inside, 'up')
      ip('-n', h.ns, 'link', 'set', 'lo', 'up')
    }
    ip('link', 'add', `dt${t}gw`, 'type', 'veth', 'peer', 'name', `dt${t}bg`)
    ip('link', 'set', `dt${t}bg`, 'netns', bridgeNs)
    ip('-n', bridgeNs, 'link', 'set', `dt${t}bg`, 'master', 'br0')
    ip('-n', bridgeNs, 'link', 'set', `dt${t}bg`, 'up')
    ip('addr', 'add', `${lab.gatewayIp}/24`, 'dev', `dt${t}gw`)
    ip('link', 'set', `dt${t}gw`, 'up')
  } catch (e) {
    lab.close()
    throw new Error(`could not build the namespace lab: ${(e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message}`)
  }
  return lab
}
