/** What this agent process is doing to its cluster now, by kind: a demote waits for none of it, it refuses. */
export interface OperationsInFlight {
  /** Runs `work`, counted under `kind` until it settles. */
  run<T>(kind: InFlightKind, work: () => Promise<T>): Promise<T>
  /** The kinds with at least one call in flight, e.g. ['mint']. */
  busy(): InFlightKind[]
}

export type InFlightKind = 'mint' | 'revoke' | 'activation'

export function createOperationsInFlight(): OperationsInFlight {
  const counts = new Map<InFlightKind, number>()
  return {
    async run(kind, work) {
      counts.set(kind, (counts.get(kind) ?? 0) + 1)
      try {
        return await work()
      } finally {
        const left = (counts.get(kind) ?? 1) - 1
        if (left === 0) counts.delete(kind)
        else counts.set(kind, left)
      }
    },
    busy: () => [...counts.keys()],
  }
}
