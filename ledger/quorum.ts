/**
 * Byzantine quorum arithmetic, shared by block commits (consensus) and FL verdicts (fl): a
 * committee of n = 3f+1 members tolerates f faulty ones and decides with 2f+1 = floor(2n/3)+1.
 */
export function quorum(n: number): number {
  return Math.floor((2 * n) / 3) + 1
}

/** the most faulty members a committee of n tolerates */
export function faultBound(n: number): number {
  return Math.floor((n - 1) / 3)
}
