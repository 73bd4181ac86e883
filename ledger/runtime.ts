/**
 * What the runtime offers. On Node (every diten node) hashing and signature checks use its
 * OpenSSL binding and Buffer, several times faster than pure JS; elsewhere (the client in a
 * browser bundle) the same functions fall back to @noble and plain loops, byte for byte the same
 * results (test/unit/portable.test.ts). Node's modules are fetched with process.getBuiltinModule,
 * never imported, so a browser bundle holds no `node:` import.
 */
type NodeCrypto = typeof import('node:crypto')

const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
/** DITEN_PORTABLE on globalThis forces the fallbacks (tests) */
const portable = (globalThis as { DITEN_PORTABLE?: boolean }).DITEN_PORTABLE === true

/** A Node built-in module by id (`node:fs/promises`), or undefined off Node: never a static import. */
export function nodeBuiltin<T>(id: string): T | undefined {
  return portable ? undefined : (proc?.getBuiltinModule?.(id) as T | undefined)
}

/** node:crypto on Node; undefined elsewhere (or when the fallbacks are forced) */
export const nodeCrypto = nodeBuiltin<NodeCrypto>('node:crypto')

/** Node's Buffer, when there is one (and the fallbacks are not forced) */
export const NodeBuffer: typeof Buffer | undefined = portable ? undefined : (globalThis as { Buffer?: typeof Buffer }).Buffer
