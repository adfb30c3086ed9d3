import type { ClusterStatus, ProbePrimaryResult } from '../agents/agent-types.ts'
import type { Pair } from '../pairs/pairs.schemas.ts'

/**
 * The places the primary is looked at from, each a distinct failure domain of the path to it: the gateway (its
 * primary agent answers), the primary agent (its Vault answers), the secondary agent (the primary's 8200 and 8201
 * answer from the DR site) and the secondary Vault (its replication stream from the primary is alive).
 */
export const VANTAGE_POINTS = ['gateway', 'primary_agent', 'secondary_agent', 'secondary_vault'] as const
export type VantagePoint = (typeof VANTAGE_POINTS)[number]

/** What one vantage point sees now: reaches null when it cannot tell (e.g. the primary agent does not answer). */
export interface VantageView {
  point: VantagePoint
  reaches: boolean | null
  detail: string
  /** The primary's Vault is sealed or its agent has no Vault to ask: enough on its own to declare it down. */
  gone?: boolean
  /** When the loss began by the cluster's own clock (the secondary's last heartbeat), when it says. */
  lostAt?: number
  /**
   * The moment this view last knew the primary alive, when it is not the moment it was taken: the secondary's last
   * heartbeat (its stream counts as alive for a while after it).
   */
  aliveAt?: number
}

/** A failed read of an agent, as the gateway saw it. */
export interface ReadFailure {
  code: string
  detail: string
}

export type Read<T> = { value: T } | { error: ReadFailure }

/** The secondary's stream counts as lost past this heartbeat age (Vault sends one every few seconds). */
export const STREAM_HEARTBEAT_STALE_S = 10

/** Whether a DR secondary's stream from its primary is alive by its own status: connected, or heard from lately. */
export function streamAlive(connectionState: string | null, heartbeatAgeS: number | null): boolean {
  const stale = heartbeatAgeS === null || heartbeatAgeS > STREAM_HEARTBEAT_STALE_S
  return connectionState === 'ready' || !stale
}

export function gatewayView(pair: Pair): VantageView {
  const primary = pair.clusters.primary
  if (primary.agent_reachable) return { point: 'gateway', reaches: true, detail: 'the primary agent answers' }
  // The agent reads its Vault before it answers: one whose Vault hangs answers after the gateway stopped waiting.
  const code = primary.error?.code ?? 'no answer'
  const behind = code === 'GATEWAY_ERR_AGENT_TIMEOUT' ? ' (in time: it, or its Vault behind it, hangs)' : ''
  return { point: 'gateway', reaches: false, detail: `the primary agent does not answer${behind}: ${code}` }
}

/** What the primary agent said of its Vault, from a pair view or a status read; undefined: the agent gave no answer. */
interface AgentSaid {
  vaultReachable: boolean | null
  sealed: boolean | null
  haRole: string | null
}

function agentView(said: AgentSaid | undefined): VantageView {
  if (said === undefined) {
    return { point: 'primary_agent', reaches: null, detail: 'unknown: the gateway cannot reach the primary agent' }
  }
  if (said.vaultReachable === false) {
    return { point: 'primary_agent', reaches: false, gone: true, detail: 'the primary agent cannot reach its Vault' }
  }
  if (said.sealed === true) {
    return { point: 'primary_agent', reaches: false, gone: true, detail: 'the primary agent reports its Vault sealed' }
  }
  return { point: 'primary_agent', reaches: true, detail: `the primary agent reaches its Vault (${said.haRole})` }
}

export function primaryAgentView(pair: Pair): VantageView {
  const primary = pair.clusters.primary
  if (!primary.agent_reachable) return agentView(undefined)
  return agentView({ vaultReachable: primary.vault_reachable, sealed: primary.sealed, haRole: primary.ha_role })
}

/**
 * The gateway's and the primary agent's views from a keeping-in-touch read of the primary's agent (its status, or
 * undefined when the agent gave none in time): what gatewayView and primaryAgentView see in a pair view.
 */
export function contactViews(status: ClusterStatus | undefined): VantageView[] {
  if (status === undefined) {
    return [
      { point: 'gateway', reaches: false, detail: 'the primary agent does not answer (keeping-in-touch read)' },
      agentView(undefined),
    ]
  }
  const { reachable, sealed, ha_role } = status.vault
  return [
    { point: 'gateway', reaches: true, detail: 'the primary agent answers' },
    agentView({ vaultReachable: reachable, sealed, haRole: ha_role }),
  ]
}

/**
 * Checks that show nothing of whether the primary answers: a TCP connect (the kernel of a host whose Vault hangs, or
 * a load balancer, accepts it), and the note that the API is plain http (made without asking anything).
 */
const saysNothing = (c: ProbePrimaryResult['checks'][number]) =>
  /_tcp(\[\d+\])?$/.test(c.name) || c.code === 'API_NOT_TLS'

/**
 * The primary is out of the DR site's reach when neither its API nor its cluster port answers from there: every check
 * that needs an answer failed as a network failure (refused, timed out...), whether or not a TCP connect went through.
 */
export function secondaryAgentView(probe: Read<ProbePrimaryResult>): VantageView {
  if ('error' in probe) {
    return {
      point: 'secondary_agent',
      reaches: null,
      detail: `unknown: the secondary agent did not probe the primary (${probe.error.code})`,
    }
  }
  const failed = probe.value.checks.filter((c) => c.status === 'fail')
  const answered = probe.value.checks.some(
    (c) => !saysNothing(c) && !(c.status === 'fail' && NETWORK_CODES.has(c.code)),
  )
  if (!answered && failed.length > 0) {
    const network = failed.filter((c) => NETWORK_CODES.has(c.code))
    const codes = [...new Set(network.map((c) => `${c.target} ${c.code}`))].join(', ')
    const connects = probe.value.checks.some((c) => saysNothing(c) && c.status === 'pass')
    const note = connects ? ' (TCP connects, nothing answers)' : ''
    return { point: 'secondary_agent', reaches: false, detail: `the DR site cannot reach the primary: ${codes}${note}` }
  }
  const codes = failed.map((c) => c.code).join(', ')
  return {
    point: 'secondary_agent',
    reaches: true,
    detail: failed.length === 0 ? 'the DR site reaches the primary' : `the DR site reaches the primary (${codes})`,
  }
}

export function secondaryVaultView(pair: Pair, now: number): VantageView {
  const secondary = pair.clusters.secondary
  if (!secondary.agent_reachable || secondary.mode !== 'secondary') {
    const why = secondary.agent_reachable ? `the cluster is in mode ${secondary.mode ?? 'unknown'}` : 'no status'
    return { point: 'secondary_vault', reaches: null, detail: `unknown: ${why}` }
  }
  const age = pair.heartbeat_age_s
  const described = `connection_state ${pair.connection_state ?? 'none'}, last heartbeat ${age === null ? 'never' : `${age} s ago`}`
  if (!streamAlive(pair.connection_state, age)) {
    return {
      point: 'secondary_vault',
      reaches: false,
      detail: `the secondary lost its stream: ${described}`,
      ...(age === null ? {} : { lostAt: now - age * 1000 }),
    }
  }
  // Alive by a recent heartbeat while the connection says otherwise (reconnecting): heard from, not streaming.
  const how =
    pair.connection_state === 'ready' ? 'the secondary streams' : 'the secondary heard from the primary lately'
  const heard = pair.connection_state === 'ready' || age === null ? {} : { aliveAt: now - age * 1000 }
  return { point: 'secondary_vault', reaches: true, detail: `${how}: ${described}`, ...heard }
}

/** Probe codes that mean nothing answered at that address (not a wrong answer from something that did). */
const NETWORK_CODES = new Set<string>([
  'CONNECTION_REFUSED',
  'TIMEOUT',
  'DNS_FAILURE',
  'CONNECTION_RESET',
  'HOST_UNREACHABLE',
  'NETWORK_ERROR',
])
