/**
 * Builds the web explorer into dist/explorer (`npm run build`); every node serves those files
 * from memory at its public API's `/` (node/explorer.ts). No CDN, no external request: the
 * libraries are bundled.
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

export default defineConfig({
  root: here('.'),
  base: './',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../dist/explorer'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
    // the explorer stays one file of script and one of style: a page load is three requests
    rolldownOptions: { output: { codeSplitting: false } },
  },
})
