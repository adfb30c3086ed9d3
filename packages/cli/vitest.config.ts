import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@vault-dr/source'] },
  ssr: { resolve: { conditions: ['@vault-dr/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // A file per core (vitest's default leaves one core to itself, and the suite runs packages one after another).
    maxWorkers: '100%',
  },
})
