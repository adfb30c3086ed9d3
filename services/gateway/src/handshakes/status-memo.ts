import type { PrimaryAgentClient, SecondaryAgentClient } from '../agents/agent-clients.ts'
import type { ClusterStatus } from '../agents/agent-types.ts'

type Side = 'primary' | 'secondary'

/** How long a status this run read may stand in for a new read, when nothing this run did changed that cluster. */
export const STATUS_REUSE_MS = 1_000

/**
 * The last status of each cluster one handshake run read, forgotten whenever the run asks an agent to change that
 * cluster. Steps that only need to know where things stand reuse it instead of asking both agents again; waits
 * and anything deciding after a change read anew.
 */
export class StatusMemo {
  readonly #seen = new Map<Side, { status: ClusterStatus; at: number }>()

  observe(side: Side, status: ClusterStatus): ClusterStatus {
    this.#seen.set(side, { status, at: performance.now() })
    return status
  }

  forget(...sides: Side[]): void {
    for (const side of sides) this.#seen.delete(side)
  }

  /** The status read within STATUS_REUSE_MS and not changed by this run since, if any. */
  recent(side: Side): ClusterStatus | undefined {
    const seen = this.#seen.get(side)
    return seen !== undefined && performance.now() - seen.at <= STATUS_REUSE_MS ? seen.status : undefined
  }
}

/** Runs a change, forgetting what was known of the clusters it touches, before and after (it may fail half-way). */
async function changing<T>(memo: StatusMemo, sides: Side[], change: () => Promise<T>): Promise<T> {
  memo.forget(...sides)
  try {
    return await change()
  } finally {
    memo.forget(...sides)
  }
}

/**
 * The agents of one run, noting every status they return and forgetting it on every change they make. The primary's
 * status lists only the run's secondary id: all the run looks at, however many secondaries the primary has.
 */
export function rememberingAgents(
  agents: { primary: PrimaryAgentClient; secondary: SecondaryAgentClient },
  memo: StatusMemo,
  secondaryId: string,
): { primary: PrimaryAgentClient; secondary: SecondaryAgentClient } {
  const { primary, secondary } = agents
  return {
    primary: {
      status: async (signal, opts) => memo.observe('primary', await primary.status(signal, { ...opts, secondaryId })),
      enable: async (signal, body) => {
        const result = await changing(memo, ['primary'], () => primary.enable(signal, body))
        memo.observe('primary', result.status)
        return result
      },
      mintToken: (body, signal) => changing(memo, ['primary'], () => primary.mintToken(body, signal)),
      revoke: (secondaryId, signal) => changing(memo, ['primary'], () => primary.revoke(secondaryId, signal)),
      probeLocal: (signal) => primary.probeLocal(signal),
      vaultToken: (signal) => primary.vaultToken(signal),
    },
    secondary: {
      status: async (signal, opts) => memo.observe('secondary', await secondary.status(signal, opts)),
      inspect: (token, signal, opts) => secondary.inspect(token, signal, opts),
      probePrimary: (body, signal) => secondary.probePrimary(body, signal),
      vaultToken: (signal) => secondary.vaultToken(signal),
      activation: (activationId, signal) => secondary.activation(activationId, signal),
      // Activation changes both: the secondary is wiped and the primary gains a peer.
      activate: (token, signal, opts) =>
        changing(memo, ['primary', 'secondary'], () => secondary.activate(token, signal, opts)),
    },
  }
}
