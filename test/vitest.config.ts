import { defineConfig } from 'vitest/config'

/** `npm start`'s stacks, on fixed loopback addresses and ports. */
const DEMOS = ['e2e/demo.e2e.test.ts', 'e2e/fresh-clone.e2e.test.ts', 'e2e/ha-demo.e2e.test.ts']

export default defineConfig({
  resolve: { conditions: ['@vault-dr/source'] },
  ssr: { resolve: { conditions: ['@vault-dr/source'] } },
  test: {
    testTimeout: 90_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'paired',
          include: ['e2e/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...DEMOS],
          // Two files at a time (each takes free ports): one file alone leaves part of 2 cores idle while it waits on
          // heartbeats, leases and deadlines; measured, the suite took about a quarter less time than one by one.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'alone',
          // One at a time, after the others: the demos, and the agents in process, whose deadlines of a second or two
          // leave no room for a neighbour's load.
          include: ['*.test.ts', ...DEMOS],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
