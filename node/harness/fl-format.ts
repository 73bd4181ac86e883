/** Figures of `diten fl run` as text: percentages, the last accuracy of a series, the progress bar. */
export function last(rs: { accuracy: number }[]): number {
  return rs[rs.length - 1]?.accuracy ?? 0
}
export function lastOrNull(rs: { accuracy: number }[]): number | null {
  return rs.length ? last(rs) : null
}
export function pct(v: number | null): string {
  return v === null ? '-' : `${(v * 100).toFixed(1)}%`
}
export function progressBar(done: number, total: number): string {
  const n = 20
  const k = Math.round((done / total) * n)
  return `[${'#'.repeat(k)}${'.'.repeat(n - k)}] ${done}/${total}`
}
