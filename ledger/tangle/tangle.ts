/**
 * The local-model-update tangle (DESIGN §4), pure and in memory. Hot data lives in typed
 * arrays indexed by a Uint32 per transaction; ids only appear at the edges of the API.
 *
 *  - Solidification: a transaction is solid when both parents are; unknown parents get a
 *    placeholder slot (listed by `missing()`), and approvers that arrived first solidify when
 *    they do. The final state never depends on arrival order.
 *  - Validity: a solid transaction is valid when it is valid itself and both parents are;
 *    invalid ones are kept, marked, never tips, never weigh on others, never confirmed.
 *  - Cumulative weight (IOTA's definition): CW(x) = W(x) + Σ W(y) over every valid y in the
 *    future cone of x. When y becomes solid its past cone is walked once (visit stamps) and
 *    W(y) added; the walk stops at ancestors that are saturated (CW ≥ cap) and already have
 *    q approving members — their own ancestors are then saturated too (CW only grows
 *    towards the past) — so every CW below cap is exact and an insert costs the number of
 *    unsaturated ancestors, independent of the tangle's size.
 *  - Confirmation: CW ≥ cwThreshold and approvals from ≥ q distinct members; reported once.
 *  - Tips (valid, solid, no valid approver) and the walk-start band (CW in
 *    [bandWeight, 2·bandWeight), cap ≥ 2·bandWeight) are index sets with O(1) add/remove/pick.
 */
import { IndexSet } from './index-set.js'
import type { TangleVertex } from './vertex.js'

export interface TangleOptions {
  cap: number
  cwThreshold: number
  /** q: distinct approving members needed to confirm */
  minApprovingMembers: number
  bandWeight: number
  /** tips more than this many heights below the highest transaction are orphaned */
  maxDepth: number
}

export interface TangleTxInput {
  id: string
  trunk: string
  branch: string
  /** own weight, an integer ≥ 1 ([R4] eq. 8 scaled) */
  weight: number
  /** issuing member index */
  member: number
  /** the transaction's own validity (signature, PoW, model rules); parents are checked here */
  valid: boolean
  time: number
}

export interface TangleChange {
  /** transactions that became solid, in solidification order */
  solidified: string[]
  /** transactions confirmed by this arrival (each is reported exactly once, ever) */
  confirmed: string[]
}

const KNOWN = 1
const SOLID = 2
const VALID = 4
const CONFIRMED = 8
const ENTRY = 16
const ORPHANED = 32
/** how often (in inserts) stale tips are swept */
const ORPHAN_SWEEP_EVERY = 256

export class Tangle {
  private readonly ids: string[] = []
  private readonly index = new Map<string, number>()
  private cap = 0
  private flags = new Uint8Array(1024)
  private weight = new Uint32Array(1024)
  private cwArr = new Float64Array(1024)
  private trunkArr = new Int32Array(1024)
  private branchArr = new Int32Array(1024)
  private heightArr = new Uint32Array(1024)
  private memberArr = new Uint16Array(1024)
  private stamp = new Uint32Array(1024)
  private timeArr = new Float64Array(1024)
  private firstEdge = new Int32Array(1024).fill(-1)
  private approverMembers: Uint16Array
  private approverCount = new Uint8Array(1024)
  private edgeChild = new Int32Array(2048)
  private edgeNext = new Int32Array(2048)
  private edges = 0
  private stampNow = 0
  private readonly q: number
  readonly tips = new IndexSet()
  readonly band = new IndexSet()
  private readonly missingSet = new IndexSet()
  maxHeight = 0
  /** ancestors visited by the last insert (for benchmarks: the per-insert cost) */
  lastVisited = 0
  orphaned = 0
  /** transactions received (entry points and unknown parents not counted) */
  known = 0
  private inserts = 0

  constructor(readonly opts: TangleOptions) {
    this.q = Math.max(1, Math.min(255, opts.minApprovingMembers))
    this.approverMembers = new Uint16Array(1024 * this.q)
  }

  get size(): number {
    return this.ids.length
  }

  // ── storage ─────────────────────────────────────────────────────────────────────────
  private grow(): void {
    const n = this.flags.length * 2
    const g = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(a: T, fill?: number): T => {
      const b = new (a.constructor as new (n: number) => T)(a === this.approverMembers ? n * this.q : n)
      if (fill !== undefined) b.fill(fill)
      b.set(a)
      return b
    }
    this.flags = g(this.flags)
    this.weight = g(this.weight)
    this.cwArr = g(this.cwArr)
    this.trunkArr = g(this.trunkArr)
    this.branchArr = g(this.branchArr)
    this.heightArr = g(this.heightArr)
    this.memberArr = g(this.memberArr)
    this.stamp = g(this.stamp)
    this.timeArr = g(this.timeArr)
    this.firstEdge = g(this.firstEdge, -1)
    this.approverMembers = g(this.approverMembers)
    this.approverCount = g(this.approverCount)
  }

  private slot(id: string): number {
    let i = this.index.get(id)
    if (i !== undefined) return i
    i = this.ids.length
    if (i >= this.flags.length) this.grow()
    this.ids.push(id)
    this.index.set(id, i)
    this.trunkArr[i] = -1
    this.branchArr[i] = -1
    return i
  }

  private addEdge(parent: number, child: number): void {
    if (this.edges >= this.edgeChild.length) {
      const c = new Int32Array(this.edgeChild.length * 2)
      c.set(this.edgeChild)
      const n = new Int32Array(this.edgeNext.length * 2)
      n.set(this.edgeNext)
      this.edgeChild = c
      this.edgeNext = n
    }
    this.edgeChild[this.edges] = child
    this.edgeNext[this.edges] = this.firstEdge[parent]!
    this.firstEdge[parent] = this.edges++
  }

  // ── input ───────────────────────────────────────────────────────────────────────────
  /** A solid, valid, confirmed root (genesis or a solid entry point left by pruning). */
  addEntryPoint(id: string): void {
    const i = this.slot(id)
    this.flags[i] = KNOWN | SOLID | VALID | CONFIRMED | ENTRY
    this.cwArr[i] = this.opts.cap
    this.missingSet.delete(i)
    // approvable until a valid transaction approves it
    if (!this.approversAt(i).some(c => this.walkable(c))) this.tips.add(i)
  }

  add(tx: TangleTxInput): TangleChange {
    const change: TangleChange = { solidified: [], confirmed: [] }
    const i = this.slot(tx.id)
    if (this.flags[i]! & KNOWN) return change
    this.flags[i] = KNOWN | (tx.valid ? VALID : 0)
    this.known++
    this.missingSet.delete(i)
    this.weight[i] = Math.max(1, Math.floor(tx.weight))
    this.memberArr[i] = tx.member
    this.timeArr[i] = tx.time
    const t = this.slot(tx.trunk)
    const b = this.slot(tx.branch)
    this.trunkArr[i] = t
    this.branchArr[i] = b
    this.addEdge(t, i)
    if (b !== t) this.addEdge(b, i)
    for (const p of [t, b]) if (!(this.flags[p]! & KNOWN)) this.missingSet.add(p)
    if (this.isSolidIdx(t) && this.isSolidIdx(b)) this.solidify(i, change)
    if (++this.inserts % ORPHAN_SWEEP_EVERY === 0) this.orphanStaleTips()
    return change
  }

  /**
   * Pruning: confirmed, saturated transactions issued before `olderThan` (and with their q
   * members) become solid entry points. Nothing after them changes (they are never walked
   * through again), so their bodies can be dropped from storage; they stay solid roots.
   */
  prune(olderThan: number): string[] {
    const out: string[] = []
    for (let i = 0; i < this.ids.length; i++) {
      const f = this.flags[i]!
      if (!(f & CONFIRMED) || f & ENTRY || !(f & KNOWN)) continue
      if (this.timeArr[i]! >= olderThan || this.cwArr[i]! < this.opts.cap || this.approverCount[i]! < this.q) continue
      this.flags[i] = f | ENTRY
      this.tips.delete(i)
      this.band.delete(i)
      out.push(this.ids[i]!)
    }
    return out
  }

  isEntryPoint(id: string): boolean {
    const i = this.index.get(id)
    return i !== undefined && (this.flags[i]! & ENTRY) !== 0
  }

  /**
   * Tips below max depth are never reached by honest walks (their parents left the walk-start
   * band): they leave the tip set as orphans, and their trainers may reattach the update.
   */
  orphanStaleTips(): number {
    const floor = this.maxHeight - this.opts.maxDepth
    let n = 0
    for (const i of this.tips.values()) {
      if (this.heightArr[i]! < floor && !(this.flags[i]! & ENTRY)) {
        this.tips.delete(i)
        this.flags[i]! |= ORPHANED
        n++
      }
    }
    this.orphaned += n
    return n
  }

  private isSolidIdx(i: number): boolean {
    return (this.flags[i]! & SOLID) !== 0
  }

  /** Solidifies `start` and then every waiting approver whose parents are now solid. */
  private solidify(start: number, change: TangleChange): void {
    const queue = [start]
    while (queue.length > 0) {
      const i = queue.shift()!
      const t = this.trunkArr[i]!
      const b = this.branchArr[i]!
      this.flags[i]! |= SOLID
      const valid = (this.flags[i]! & VALID) !== 0 && (this.flags[t]! & VALID) !== 0 && (this.flags[b]! & VALID) !== 0
      if (!valid) this.flags[i]! &= ~VALID
      this.heightArr[i] = Math.max(this.heightArr[t]!, this.heightArr[b]!) + 1
      change.solidified.push(this.ids[i]!)
      if (valid) {
        this.maxHeight = Math.max(this.maxHeight, this.heightArr[i]!)
        this.cwArr[i] = this.weight[i]!
        this.tips.add(i)
        this.tips.delete(t)
        this.tips.delete(b)
        this.updateBand(i)
        this.checkConfirmed(i, change)
        this.propagate(i, change)
      }
      for (let e = this.firstEdge[i]!; e >= 0; e = this.edgeNext[e]!) {
        const c = this.edgeChild[e]!
        if ((this.flags[c]! & (KNOWN | SOLID)) === KNOWN && this.isSolidIdx(this.trunkArr[c]!) && this.isSolidIdx(this.branchArr[c]!))
          queue.push(c)
      }
    }
  }

  /** Adds W(y) and y's member to every ancestor of y, once, stopping at saturated ones. */
  private propagate(y: number, change: TangleChange): void {
    const s = ++this.stampNow
    const w = this.weight[y]!
    const m = this.memberArr[y]!
    const stack = [this.trunkArr[y]!, this.branchArr[y]!]
    let visited = 0
    while (stack.length > 0) {
      const x = stack.pop()!
      if (this.stamp[x] === s) continue
      this.stamp[x] = s
      const f = this.flags[x]!
      if (f & ENTRY) continue
      if (this.cwArr[x]! >= this.opts.cap && this.approverCount[x]! >= this.q) continue
      visited++
      this.cwArr[x]! += w
      this.addApprover(x, m)
      this.updateBand(x)
      this.checkConfirmed(x, change)
      stack.push(this.trunkArr[x]!, this.branchArr[x]!)
    }
    this.lastVisited = visited
  }

  private addApprover(x: number, m: number): void {
    const n = this.approverCount[x]!
    if (n >= this.q) return
    const base = x * this.q
    for (let k = 0; k < n; k++) if (this.approverMembers[base + k] === m) return
    this.approverMembers[base + n] = m
    this.approverCount[x] = n + 1
  }

  private updateBand(x: number): void {
    const cw = this.cwArr[x]!
    // half-open, and cap ≥ 2·bandWeight: a band member is never saturated, so it leaves the band
    if (cw >= this.opts.bandWeight && cw < 2 * this.opts.bandWeight) this.band.add(x)
    else this.band.delete(x)
  }

  private checkConfirmed(x: number, change: TangleChange): void {
    if (this.flags[x]! & CONFIRMED) return
    if (this.cwArr[x]! >= this.opts.cwThreshold && this.approverCount[x]! >= this.q) {
      this.flags[x]! |= CONFIRMED
      change.confirmed.push(this.ids[x]!)
    }
  }

  // ── queries ─────────────────────────────────────────────────────────────────────────
  has(id: string): boolean {
    const i = this.index.get(id)
    return i !== undefined && (this.flags[i]! & KNOWN) !== 0
  }
  indexOf(id: string): number | undefined {
    return this.index.get(id)
  }
  idOf(i: number): string {
    return this.ids[i]!
  }
  isSolid(id: string): boolean {
    const i = this.index.get(id)
    return i !== undefined && this.isSolidIdx(i)
  }
  isValid(id: string): boolean {
    const i = this.index.get(id)
    return i !== undefined && (this.flags[i]! & (SOLID | VALID)) === (SOLID | VALID)
  }
  isConfirmed(id: string): boolean {
    const i = this.index.get(id)
    return i !== undefined && (this.flags[i]! & CONFIRMED) !== 0
  }
  cw(id: string): number {
    const i = this.index.get(id)
    return i === undefined ? 0 : this.cwArr[i]!
  }
  get missingCount(): number {
    return this.missingSet.size
  }

  /** Transactions referenced as parents but never received: the ones to request. */
  missing(): string[] {
    return this.missingSet.values().map(i => this.ids[i]!)
  }

  // index-level access for the tip-selection walk
  cwAt(i: number): number {
    return this.cwArr[i]!
  }
  heightAt(i: number): number {
    return this.heightArr[i]!
  }
  walkable(i: number): boolean {
    return (this.flags[i]! & (SOLID | VALID | ORPHANED)) === (SOLID | VALID)
  }
  isOrphaned(id: string): boolean {
    const i = this.index.get(id)
    return i !== undefined && (this.flags[i]! & ORPHANED) !== 0
  }
  trunkAt(i: number): number {
    return this.trunkArr[i]!
  }
  isEntryAt(i: number): boolean {
    return (this.flags[i]! & ENTRY) !== 0
  }
  /** Direct approvers (solid or not, valid or not). */
  approversAt(i: number): number[] {
    const out: number[] = []
    for (let e = this.firstEdge[i]!; e >= 0; e = this.edgeNext[e]!) out.push(this.edgeChild[e]!)
    return out
  }
  approvers(id: string): string[] {
    const i = this.index.get(id)
    return i === undefined ? [] : this.approversAt(i).map(c => this.ids[c]!)
  }
  /** The newest `limit` received transactions (arrival order, newest first), as plain records. */
  recent(limit: number): TangleVertex[] {
    const out: TangleVertex[] = []
    for (let i = this.ids.length - 1; i >= 0 && out.length < limit; i--) {
      const f = this.flags[i]!
      if (!(f & KNOWN) || f & ENTRY) continue
      const [trunk, branch, s] = [this.ids[this.trunkArr[i]!]!, this.ids[this.branchArr[i]!]!, (f & SOLID) !== 0]
      const v = { id: this.ids[i]!, trunk, branch, weight: this.weight[i]!, cw: this.cwArr[i]!, member: this.memberArr[i]! }
      out.push({
        ...v,
        time: this.timeArr[i]!,
        solid: s,
        valid: s && (f & VALID) !== 0,
        confirmed: (f & CONFIRMED) !== 0,
        orphaned: (f & ORPHANED) !== 0,
        tip: this.tips.has(i),
      })
    }
    return out
  }
}
