/**
 * What the runtime offers. On Node (every diten node) hashing and signature checks use its
 * OpenSSL binding and Buffer, several times faster than pure JS; elsewhere (the client in a
 * browser bundle) the same functions fall back to @noble and plain loops, byte for byte the same
 * results (test/unit/portable.test.ts). Node's modules are fetched with process.getBuiltinModule,
 * never imported, so a browser bundle holds no `node:` import.
 */
type NodeCrypto = typeof import('node:crypto')

const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process

/** node:crypto on Node; undefined elsewhere (or when PORTABLE_CRYPTO forces the fallbacks, for tests) */
export const nodeCrypto: NodeCrypto | undefined = (globalThis as { DITEN_PORTABLE?: boolean }).DITEN_PORTABLE
  ? undefined
  : (proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined)

/** Node's Buffer, when there is one (and the fallbacks are not forced) */
export const NodeBuffer: typeof Buffer | undefined = (globalThis as { DITEN_PORTABLE?: boolean }).DITEN_PORTABLE
  ? undefined
  : (globalThis as { Buffer?: typeof Buffer }).Buffer
