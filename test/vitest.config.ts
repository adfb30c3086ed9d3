import { defineConfig } from 'vitest/config'

/** `npm start`'s stacks, on fixed loopback addresses and ports. */
const DEMOS = ['e2e/demo.e2e.test.ts', 'e2e/fresh-clone.e2e.test.ts', 'e2e/ha-demo.e2e.test.ts']

const shared = {
  resolve: { conditions: ['@vault-dr/source'] },
  ssr: { resolve: { conditions: ['@vault-dr/source'] } },
}
const timeouts = { testTimeout: 90_000, hookTimeout: 60_000 }

export default defineConfig({
  ...shared,
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'paired',
          include: ['e2e/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...DEMOS],
          ...timeouts,
          // Two files at a time (each takes free ports): much of an end-to-end file's time is waiting on heartbeats,
          // leases and deadlines, so two share 2 cores and the suite takes about a third less time than one by one.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        ...shared,
        test: {
          name: 'alone',
          // One at a time, after the others: the demos, and the agents in process, whose deadlines of a second or two
          // leave no room for a neighbour's load.
          include: ['*.test.ts', ...DEMOS],
          ...timeouts,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
