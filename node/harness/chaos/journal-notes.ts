/**
 * Notes a chaos run's faults and checks in the fault journal of every running member
 * (`chaos_record`), so anyone watching a node's explorer sees them on its timeline. A member
 * that is down or slow misses the note; the run itself never waits on or fails for a note.
 */
import type { Cluster } from './cluster.js'

export interface JournalNote {
  kind: 'behaviour' | 'fault' | 'fault-end' | 'invariant' | 'note'
  name: string
  node?: string
  detail?: string
  ok?: boolean
}

export async function noteAll(cluster: Cluster, note: JournalNote): Promise<void> {
  const up = cluster.members.filter(m => m.state === 'up')
  await Promise.all(
    up.map(m =>
      m
        .admin()
        .then(
          c => c.call('chaos_record', { ...note, detail: note.detail?.slice(0, 512) }),
          () => undefined,
        )
        .catch(() => undefined),
    ),
  )
}

/** The byzantine switches of a run, noted once its members are up. */
export async function noteBehaviours(cluster: Cluster): Promise<void> {
  for (const m of cluster.members) for (const b of m.behaviours) await noteAll(cluster, { kind: 'behaviour', name: b, node: m.node.name })
}

/** One note per invariant group of a finished run: held, or the first violation. */
export async function noteVerdicts(cluster: Cluster, groups: Record<string, { violations: string[] }>): Promise<void> {
  for (const [name, g] of Object.entries(groups))
    await noteAll(cluster, {
      kind: 'invariant',
      name,
      ok: g.violations.length === 0,
      detail: g.violations.length ? `${g.violations.length} violation(s): ${g.violations[0]}` : 'held',
    })
}
