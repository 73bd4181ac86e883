/**
 * What every page shares: this node's status and the consensus view (members, delegates,
 * committees), read every 2 s by the app, and lookups of a member's name by key or index.
 */
import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import type { ConsensusStatus, MemberView, NodeStatus } from './types'

export interface NetworkView {
  status: NodeStatus | undefined
  consensus: ConsensusStatus | undefined
  error: string | undefined
}

export const NetworkContext = createContext<NetworkView>({ status: undefined, consensus: undefined, error: undefined })

export function useNetwork(): NetworkView & {
  nameOfKey(key: string): string
  nameAt(index: number): string
  member(name: string): MemberView | undefined
} {
  const v = useContext(NetworkContext)
  const members = v.consensus?.members ?? []
  return {
    ...v,
    nameOfKey: key => members.find(m => m.publicKey === key)?.name ?? `${key.slice(0, 10)}…`,
    nameAt: index => members[index]?.name ?? `#${index}`,
    member: name => members.find(m => m.name === name),
  }
}
