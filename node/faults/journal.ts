/**
 * The fault journal: what a fault-injection tool (`diten chaos run`, `diten devnet --byzantine`)
 * did to the network and what it checked, recorded through the admin API (`chaos_record`) on
 * every node and read by anyone (`chaos_journal`), so the explorer draws the faults on a timeline
 * next to the heights. Each entry is stamped with this node's clock and its shard heads at the
 * moment it arrived. Bounded: the newest `max` entries.
 */
import { bool, oneOf, optional, str, struct, type Type } from '../../ledger/index.js'

export const JOURNAL_KINDS = ['behaviour', 'fault', 'fault-end', 'invariant', 'note'] as const

export interface JournalInput {
  /** behaviour: a node misbehaves by config; fault / fault-end: a fault starts / ends; invariant: a check and its verdict */
  kind: (typeof JOURNAL_KINDS)[number]
  name: string
  node?: string
  detail?: string
  /** invariants: held (true) or violated (false) */
  ok?: boolean
}

export interface JournalEntry extends JournalInput {
  seq: number
  at: number
  heads: number[]
}

export const journalInputType: Type<JournalInput> = struct({
  kind: oneOf(JOURNAL_KINDS),
  name: str({ min: 1, max: 64 }),
  node: optional(str({ min: 1, max: 64 })),
  detail: optional(str({ max: 512 })),
  ok: optional(bool),
})

export class FaultJournal {
  private readonly entries: JournalEntry[] = []
  private seq = 0

  constructor(
    private readonly heads: () => number[],
    private readonly max = 2000,
  ) {}

  record(e: JournalInput, now = Date.now()): JournalEntry {
    const entry: JournalEntry = { ...e, seq: ++this.seq, at: now, heads: this.heads() }
    this.entries.push(entry)
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max)
    return entry
  }

  /** entries after `afterSeq` (0: all kept), oldest first */
  since(afterSeq = 0): JournalEntry[] {
    return this.entries.filter(e => e.seq > afterSeq)
  }
}
