/** Misbehaviours a node can be switched into (fault injection, DESIGN §10). */
export const BEHAVIOURS = ['equivocate', 'withhold-votes', 'invalid-block', 'silent', 'lazy-tips', 'parasite-chain', 'approve-invalid'] as const
export type Behaviour = (typeof BEHAVIOURS)[number]
