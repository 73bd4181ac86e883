/**
 * Small multiples for bench:fl-attacks: one panel per aggregation rule, accuracy per round on a
 * fixed 0–100 % scale each, so a rule whose model collapses stays readable beside the others.
 */
const esc = (s: string) => s.replace(/[<>&"]/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!)

export function smallMultiples(title: string, series: { name: string; values: number[] }[]): string {
  const cols = 4
  const [pw, ph, pad] = [220, 150, 36]
  const rows = Math.ceil(series.length / cols)
  const W = cols * (pw + pad) + pad
  const H = rows * (ph + pad + 14) + 50
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}: test accuracy per round</text>`,
  ]
  series.forEach((s, i) => {
    const x0 = pad + (i % cols) * (pw + pad)
    const y0 = 40 + Math.floor(i / cols) * (ph + pad + 14)
    const n = Math.max(2, s.values.length)
    const x = (k: number) => x0 + (pw * k) / (n - 1)
    const y = (v: number) => y0 + 14 + ph * (1 - v)
    out.push(`<text x="${x0}" y="${y0 + 8}" font-weight="bold">${esc(s.name)}</text>`)
    out.push(`<rect x="${x0}" y="${y0 + 14}" width="${pw}" height="${ph}" fill="none" stroke="#ccc"/>`)
    for (const g of [0.25, 0.5, 0.75, 1])
      out.push(
        `<line x1="${x0}" x2="${x0 + pw}" y1="${y(g)}" y2="${y(g)}" stroke="#eee"/><text x="${x0 - 4}" y="${y(g) + 3}" text-anchor="end" font-size="9">${g * 100}</text>`,
      )
    const pts = s.values.map((v, k) => `${x(k).toFixed(1)},${y(Math.max(0, Math.min(1, v))).toFixed(1)}`).join(' ')
    out.push(`<polyline fill="none" stroke="#1565c0" stroke-width="2" points="${pts}"/>`)
    const last = s.values[s.values.length - 1]
    if (last !== undefined)
      out.push(
        `<text x="${x0 + pw - 2}" y="${y(Math.max(0, Math.min(1, last))) - 4}" text-anchor="end">${(last * 100).toFixed(1)} %</text>`,
      )
  })
  out.push('</svg>')
  return out.join('\n')
}
