import { defineConfig } from 'vitest/config'

// unit tests run in parallel threads; network and multi-process tests one file at a time
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads', testTimeout: 20_000 } },
      {
        test: {
          name: 'net',
          include: ['test/net/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/browser/**/*.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
