import type { FastifyBaseLogger } from 'fastify'
import type { PrimaryAgentClient, SecondaryAgentClient } from '../agents/agent-clients.ts'
import { type EpochCounter, epochSeenBy, isStaleEpoch, underEpochFloor } from '../failovers/epoch-floor.ts'

export interface HandshakeAgents {
  primary: PrimaryAgentClient
  secondary: SecondaryAgentClient
}

/**
 * A handshake's agents whose calls that change a cluster (enable, mint, revoke, activate) carry the fencing epoch
 * (x-vault-dr-epoch): the store's counter when this process took the handshake. A role change since (a failover by a
 * gateway that took the clusters over while this one stalled) makes the agent refuse the call, 409
 * AGENT_ERR_STALE_EPOCH, before it acts. An agent that has seen an epoch above the store's counter (a replaced or
 * restored store) has the counter raised above it, and the handshake goes on under the raised epoch.
 *
 * The counter is the store's, not the clusters': a role change of another pair raises it too, and the next call under
 * it that reaches one of these agents (another handshake on the same primary, a token rotation) makes this one's
 * epoch stale with neither cluster changed. With `reconfirm` (a write fenced by the handshake's lease), such a refusal
 * is met by proving the lease still held, then taking the counter as it is now and calling once more: while this
 * process holds the lease, the handshake holds both its clusters and no other operation can have changed their roles.
 * A process that lost the lease fails at that write, and its call is never made.
 */
export function epochAgents(
  agents: HandshakeAgents,
  store: EpochCounter,
  epoch: number,
  log?: Pick<FastifyBaseLogger, 'warn'>,
  reconfirm?: () => Promise<void>,
): HandshakeAgents {
  const { primary, secondary } = agents
  let current = epoch
  const floored = <T>(agent: PrimaryAgentClient | SecondaryAgentClient, call: (epoch: number) => Promise<T>) =>
    underEpochFloor(store, current, call, epochSeenBy(agent), {
      onRaised: (raised) => {
        current = raised
      },
      ...(log === undefined ? {} : { log }),
    })
  const fenced = async <T>(agent: PrimaryAgentClient | SecondaryAgentClient, call: (epoch: number) => Promise<T>) => {
    try {
      return await floored(agent, call)
    } catch (err) {
      if (reconfirm === undefined || !isStaleEpoch(err)) throw err
      const now = await store.currentEpoch()
      if (now <= current) throw err
      await reconfirm()
      current = now
      return floored(agent, call)
    }
  }
  return {
    primary: {
      status: (signal, opts) => primary.status(signal, opts),
      enable: (signal, body) => fenced(primary, (e) => primary.enable(signal, body, { epoch: e })),
      mintToken: (body, signal) => fenced(primary, (e) => primary.mintToken(body, signal, { epoch: e })),
      revoke: (secondaryId, signal) => fenced(primary, (e) => primary.revoke(secondaryId, signal, { epoch: e })),
      probeLocal: (signal) => primary.probeLocal(signal),
      vaultToken: (signal) => primary.vaultToken(signal),
    },
    secondary: {
      status: (signal, opts) => secondary.status(signal, opts),
      inspect: (token, signal, opts) => secondary.inspect(token, signal, opts),
      probePrimary: (body, signal) => secondary.probePrimary(body, signal),
      vaultToken: (signal) => secondary.vaultToken(signal),
      activation: (activationId, signal) => secondary.activation(activationId, signal),
      activate: (token, signal, opts) =>
        fenced(secondary, (e) => secondary.activate(token, signal, { ...opts, epoch: e })),
    },
  }
}
