import { defineConfig } from 'vitest/config'

/** Every package's unit tests (test/ has its own settings: whole stacks of processes on loopback). */
export default defineConfig({
  resolve: { conditions: ['@vault-dr/source'] },
  ssr: { resolve: { conditions: ['@vault-dr/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // A file per core (vitest's default leaves one core to itself, and the suite runs packages one after another).
    maxWorkers: '100%',
    // A worker's files share the modules it loaded: no test mocks a module or leaves a spy, a fake timer or a variable
    // behind, and loading them again for each file took a quarter to two thirds of each package's run (the gateway's
    // 156 s -> 97 s, core's 18 s -> 6 s).
    isolate: false,
  },
})
