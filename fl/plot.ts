/** A small SVG line chart of test accuracy per round (no dependencies, opens in any browser). */
export interface Series {
  name: string
  color: string
  /** accuracy in 0..1 per round (index 0 = round 1) */
  values: number[]
}

const esc = (s: string) => s.replace(/[<>&"]/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!)

export function accuracyPlot(title: string, series: Series[]): string {
  const W = 720
  const H = 420
  const L = 60
  const R = 190
  const T = 40
  const B = 50
  const rounds = Math.max(1, ...series.map(s => s.values.length))
  const all = series.flatMap(s => s.values).filter(v => Number.isFinite(v))
  const lo = Math.max(0, Math.floor((Math.min(0.9, ...all) - 0.05) * 10) / 10)
  const x = (i: number) => L + (W - L - R) * (rounds === 1 ? 0.5 : i / (rounds - 1))
  const y = (v: number) => T + (H - T - B) * (1 - (v - lo) / (1 - lo))
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  ]
  for (let k = 0; k <= 5; k++) {
    const v = lo + ((1 - lo) * k) / 5
    out.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${(v * 100).toFixed(0)}%</text>`,
    )
  }
  const step = Math.max(1, Math.ceil(rounds / 10))
  for (let i = 0; i < rounds; i += step) out.push(`<text x="${x(i)}" y="${H - B + 18}" text-anchor="middle">${i + 1}</text>`)
  out.push(
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">round</text>`,
    `<text x="16" y="${(T + H - B) / 2}" transform="rotate(-90 16 ${(T + H - B) / 2})" text-anchor="middle">test accuracy</text>`,
  )
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => `${x(i).toFixed(1)},${y(Math.max(lo, v)).toFixed(1)}`).join(' ')
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>`)
    const last = s.values[s.values.length - 1]
    out.push(
      `<line x1="${W - R + 12}" x2="${W - R + 32}" y1="${T + 10 + 20 * k}" y2="${T + 10 + 20 * k}" stroke="${s.color}" stroke-width="3"/><text x="${W - R + 38}" y="${T + 14 + 20 * k}">${esc(s.name)}${last === undefined ? '' : ` ${(last * 100).toFixed(1)}%`}</text>`,
    )
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
