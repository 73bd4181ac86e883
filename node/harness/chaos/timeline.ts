/**
 * The timeline of a chaos run as SVG: each node's shard-0 height over time, with the faults
 * shaded (red: the node is killed, paused or partitioned; grey: network-wide faults).
 */
import type { Sample } from './observe.js'
import type { FaultOutcome } from './runner.js'

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f']
const esc = (s: string) => s.replace(/[<>&"]/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!)

export function timelineSvg(title: string, samples: Sample[], faults: FaultOutcome[], nodes: string[]): string {
  const W = 760,
    H = 400,
    L = 60,
    R = 120,
    T = 40,
    B = 50
  const t0 = Math.min(...samples.map(s => s.t), ...faults.map(f => f.startedAt))
  const t1 = Math.max(...samples.map(s => s.t), t0 + 1)
  const top = Math.max(1, ...samples.map(s => s.heads[0] ?? 0))
  const x = (t: number) => L + ((W - L - R) * (t - t0)) / (t1 - t0)
  const y = (h: number) => T + (H - T - B) * (1 - h / top)
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  ]
  for (const f of faults) {
    const color = f.fault.node ? '#f4cccc' : '#e6e6e6'
    out.push(
      `<rect x="${x(f.startedAt)}" y="${T}" width="${Math.max(1, x(f.endedAt) - x(f.startedAt))}" height="${H - T - B}" fill="${color}"/>`,
      `<text x="${x(f.startedAt) + 3}" y="${T + 14}" font-size="10">${esc(`${f.fault.kind}${f.fault.node ? ` ${f.fault.node}` : ''}`)}</text>`,
    )
  }
  for (let k = 0; k <= 4; k++)
    out.push(
      `<line x1="${L}" x2="${W - R}" y1="${y((top * k) / 4)}" y2="${y((top * k) / 4)}" stroke="#ddd"/><text x="${L - 8}" y="${y((top * k) / 4) + 4}" text-anchor="end">${Math.round((top * k) / 4)}</text>`,
    )
  for (let s = 0; s <= (t1 - t0) / 1000; s += Math.max(5, Math.ceil((t1 - t0) / 10_000 / 5) * 5))
    out.push(`<text x="${x(t0 + s * 1000)}" y="${H - B + 18}" text-anchor="middle">${s}</text>`)
  out.push(
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">seconds</text>`,
    `<text x="16" y="${(T + H - B) / 2}" transform="rotate(-90 16 ${(T + H - B) / 2})" text-anchor="middle">shard-0 height</text>`,
  )
  nodes.forEach((n, i) => {
    const pts = samples.filter(s => s.node === n).map(s => `${x(s.t).toFixed(1)},${y(s.heads[0] ?? 0).toFixed(1)}`)
    const c = COLORS[i % COLORS.length]!
    if (pts.length) out.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts.join(' ')}"/>`)
    out.push(
      `<line x1="${W - R + 12}" x2="${W - R + 32}" y1="${T + 10 + 18 * i}" y2="${T + 10 + 18 * i}" stroke="${c}" stroke-width="2"/><text x="${W - R + 38}" y="${T + 14 + 18 * i}">${esc(n)}</text>`,
    )
  })
  out.push('</svg>')
  return out.join('\n')
}
