import { defineConfig } from 'vitest/config'

// members in network namespaces (needs root and iproute2): `npm run test:multihost`
export default defineConfig({
  test: {
    include: ['test/multihost/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
})
