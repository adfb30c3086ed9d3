import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@vault-dr/source'] },
  ssr: { resolve: { conditions: ['@vault-dr/source'] } },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
    // The end-to-end tests own real ports and child processes; one file at a time keeps them apart on 2 cores.
    fileParallelism: false,
  },
})
