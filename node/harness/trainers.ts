/** The trainer twins a local network registers at genesis: trainer t<j> holds part j of the task's data, hosted by member j mod members. */
export interface PlannedTrainer {
  name: string
  /** member index */
  host: number
  dataSize: number
  /** the part of the dataset it trains on */
  partition: number
}

export function planTrainers(parts: readonly { count: number }[], members: number): PlannedTrainer[] {
  return parts.flatMap((d, j) => (d.count > 0 ? [{ name: `t${j}`, host: j % members, dataSize: d.count, partition: j }] : []))
}
