/** Misbehaviours a node can be switched into (fault injection, DESIGN §10). */
export const BEHAVIOURS = [
  'equivocate', 'withhold-votes', 'invalid-block', 'silent',
  'lazy-tips', 'parasite-chain', 'approve-invalid',
  // twins and network (node/chaos/attacks.ts)
  'forge-sync', 'replay-sync', 'bad-patch', 'garbage', 'oversize', 'flood',
  // federated learning: every trainer this member hosts misbehaves (node/fl/attacks.ts)
  'poison-noise', 'sign-flip', 'scale', 'label-flip', 'free-rider', 'lie-accuracy',
] as const
export const FL_ATTACKS = ['poison-noise', 'sign-flip', 'scale', 'label-flip', 'free-rider', 'lie-accuracy'] as const
export type FlAttack = (typeof FL_ATTACKS)[number]
export type Behaviour = (typeof BEHAVIOURS)[number]
