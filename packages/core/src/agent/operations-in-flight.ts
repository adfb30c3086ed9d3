import { RoleErrors } from './dr-roles/role-errors.ts'

/**
 * What this agent process is doing to its cluster now, by kind. A demote and the rest never overlap: a demote would cut
 * off a mint, revocation or activation half done, and none of those may start on a cluster being demoted. The check
 * and the count are made in one synchronous turn, so two calls arriving together cannot both pass it.
 */
export interface OperationsInFlight {
  /** Runs `work`, counted under `kind` until it settles; refused (AGENT_ERR_OPERATION_IN_FLIGHT) when it would overlap. */
  run<T>(kind: InFlightKind, work: () => Promise<T>): Promise<T>
  /** The kinds with at least one call in flight, e.g. ['mint']. */
  busy(): InFlightKind[]
}

export type InFlightKind = 'mint' | 'revoke' | 'activation' | 'demote'

export function createOperationsInFlight(): OperationsInFlight {
  const counts = new Map<InFlightKind, number>()
  return {
    async run(kind, work) {
      const others = [...counts.keys()].filter((k) => k !== kind)
      if (kind === 'demote' && others.length > 0) {
        throw RoleErrors.operationInFlight(`In flight on this agent: ${others.join(', ')}.`)
      }
      if (kind !== 'demote' && counts.has('demote')) {
        throw RoleErrors.operationInFlight('A demote of the cluster is in flight on this agent.', {
          fix: 'Its role is changing: ask again once the demote has answered (a demoted cluster mints, revokes and activates nothing as a DR primary).',
        })
      }
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
