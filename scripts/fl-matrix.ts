/** What bench:fl-attacks and bench:fl-chain share: option lists, data set names, rows of the attack matrix. */

/** `a,b, c` → ['a', 'b', 'c'] */
export const list = (s: string, sep = ',') =>
  s
    .split(sep)
    .map(x => x.trim())
    .filter(Boolean)

/** a data set as the tables name it: `idx:/usr/share/datasets/fashion-mnist` → `fashion-mnist` */
export const datasetName = (d: string) => d.replace(/^idx:.*\//, '')

/** The matrix's rows: one per data set × partition × attack × malicious share, in first-seen order. */
export function rowsOf<T extends { dataset: string; partition: string; fraction: number; attack: string }>(
  cells: T[],
): { key: string; cells: T[] }[] {
  const rows = new Map<string, T[]>()
  for (const c of cells) {
    const key = `${datasetName(c.dataset)} ${c.partition} ${c.attack}${c.attack === 'none' ? '' : ` ${Math.round(c.fraction * 100)}%`}`
    rows.set(key, [...(rows.get(key) ?? []), c])
  }
  return [...rows].map(([key, cs]) => ({ key, cells: cs }))
}
