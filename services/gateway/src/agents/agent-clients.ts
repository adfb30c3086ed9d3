import { createHash } from 'node:crypto'
import { createServiceClient, type ServiceClient } from '@vault-dr/core/service-client'
import { type AgentService, callAgent } from './agent-call.ts'
import type {
  ActivateResult,
  ActivationState,
  ClusterStatus,
  EnablePrimaryRequest,
  EnablePrimaryResult,
  LocalClusterProbe,
  PrimaryPaths,
  ProbePrimaryRequest,
  ProbePrimaryResult,
  RevokeSecondaryResult,
  SecondaryPaths,
  SecondaryToken,
  TokenInspection,
} from './agent-types.ts'

/** Where an agent is and how to authenticate to it; the token only ever lives in memory. */
export interface AgentTarget {
  cluster: string
  url: string
  token: string
}

/** Calls accept an AbortSignal so a stopping gateway can abandon them. */
type Sig = AbortSignal | undefined

export interface StatusOptions {
  /** Ask the agent to read Vault now (the default) rather than share a cached answer. */
  fresh?: boolean
  timeoutMs?: number
}

export interface PrimaryStatusOptions extends StatusOptions {
  /** Only this secondary's entries in known_secondaries and secondaries (a primary may have thousands). */
  secondaryId?: string
}

export interface PrimaryAgentClient {
  status(signal?: Sig, opts?: PrimaryStatusOptions): Promise<ClusterStatus>
  enable(signal?: Sig, body?: EnablePrimaryRequest): Promise<EnablePrimaryResult>
  mintToken(body: { secondary_id: string; ttl: string }, signal?: Sig): Promise<SecondaryToken>
  revoke(secondaryId: string, signal?: Sig): Promise<RevokeSecondaryResult>
  probeLocal(signal?: Sig): Promise<LocalClusterProbe>
}

/** Where the secondary's Vault reaches the primary's API, when not at the token's addr claim. */
export interface UnwrapAddress {
  primaryApiAddr?: string | undefined
}

export interface ActivateOptions extends UnwrapAddress {
  /** The name the agent keeps the activation under, to ask how it ended (activation()) if the answer is lost. */
  activationId?: string | undefined
}

export interface SecondaryAgentClient {
  status(signal?: Sig, opts?: StatusOptions): Promise<ClusterStatus>
  inspect(token: string, signal?: Sig, opts?: UnwrapAddress): Promise<TokenInspection>
  probePrimary(body: ProbePrimaryRequest, signal?: Sig): Promise<ProbePrimaryResult>
  activate(token: string, signal?: Sig, opts?: ActivateOptions): Promise<ActivateResult>
  /** How an activation sent to the agent stands (in flight, succeeded, failed, or unknown to that agent process). */
  activation(activationId: string, signal?: Sig): Promise<ActivationState>
}

const unwrapAt = ({ primaryApiAddr }: UnwrapAddress = {}) =>
  primaryApiAddr === undefined ? {} : { primary_api_addr: primaryApiAddr }

/** The seam between the gateway and its agents; tests inject fakes through buildApp's deps. */
export interface AgentClients {
  primary(target: AgentTarget): PrimaryAgentClient
  secondary(target: AgentTarget): SecondaryAgentClient
  close(): Promise<void>
}

/**
 * Clients typed from the agents' OpenAPI documents. One connection pool per cluster, replaced when the cluster is
 * registered again with another URL or token; a replaced pool stays open (a handshake may still use it) until close.
 */
export function createAgentClients(opts: {
  timeoutMs: number
  changeTimeoutMs?: number
  /** CA that signed the agents' HTTPS certificates, when the system roots do not hold it. */
  caPem?: string | undefined
}): AgentClients {
  const changeTimeoutMs = Math.max(opts.changeTimeoutMs ?? opts.timeoutMs, opts.timeoutMs)
  const pools = new Map<string, { key: string; client: ServiceClient<object> }>()
  const retired: ServiceClient<object>[] = []
  function pool<P extends object>(target: AgentTarget): ServiceClient<P> {
    const key = `${target.url}|${createHash('sha256').update(target.token).digest('hex')}`
    const existing = pools.get(target.cluster)
    if (existing?.key === key) return existing.client as ServiceClient<P>
    if (existing !== undefined) retired.push(existing.client)
    // The pool's own deadline is the longest; each call brings its own (callAgent).
    const client = createServiceClient<P>({
      baseUrl: target.url,
      token: target.token,
      timeoutMs: changeTimeoutMs,
      caPem: opts.caPem,
      deadlinePerCall: false, // callAgent gives each call its own deadline
    })
    pools.set(target.cluster, { key, client: client as ServiceClient<object> })
    return client
  }
  const spec = (service: AgentService, target: AgentTarget, operation: string, idempotent: boolean, signal: Sig) => ({
    service,
    cluster: target.cluster,
    operation,
    idempotent,
    timeoutMs:
      operation === 'enableDrPrimary' || operation === 'activateDrSecondary' ? changeTimeoutMs : opts.timeoutMs,
    signal,
  })
  return {
    primary(target) {
      const { api } = pool<PrimaryPaths>(target)
      const s = (op: string, idem: boolean, sig: Sig) => spec('primary-agent', target, op, idem, sig)
      return {
        status: (sig, { fresh = true, timeoutMs, secondaryId } = {}) =>
          callAgent({ ...s('getPrimaryStatus', true, sig), ...(timeoutMs ? { timeoutMs } : {}) }, (signal) =>
            api.GET('/v1/status', {
              params: {
                query: {
                  ...(fresh ? { max_age_ms: 0 } : {}),
                  ...(secondaryId === undefined ? {} : { secondary_id: secondaryId }),
                },
              },
              signal,
            }),
          ),
        enable: (sig, body = {}) =>
          callAgent(s('enableDrPrimary', true, sig), (signal) => api.POST('/v1/dr/primary/enable', { body, signal })),
        mintToken: (body, sig) =>
          callAgent(s('createSecondaryToken', false, sig), (signal) =>
            api.POST('/v1/dr/primary/secondary-token', { body, signal }),
          ),
        revoke: (secondaryId, sig) =>
          callAgent(s('revokeSecondary', true, sig), (signal) =>
            api.POST('/v1/dr/primary/revoke-secondary', { body: { secondary_id: secondaryId }, signal }),
          ),
        probeLocal: (sig) =>
          callAgent(s('probeLocalCluster', true, sig), (signal) => api.POST('/v1/probes/local', { signal })),
      }
    },
    secondary(target) {
      const { api } = pool<SecondaryPaths>(target)
      const s = (op: string, idem: boolean, sig: Sig) => spec('secondary-agent', target, op, idem, sig)
      return {
        status: (sig, { fresh = true, timeoutMs } = {}) =>
          callAgent({ ...s('getSecondaryStatus', true, sig), ...(timeoutMs ? { timeoutMs } : {}) }, (signal) =>
            api.GET('/v1/status', { params: { query: fresh ? { max_age_ms: 0 } : {} }, signal }),
          ),
        inspect: (token, sig, opts) =>
          callAgent(s('inspectToken', true, sig), (signal) =>
            api.POST('/v1/tokens/inspect', { body: { token, ...unwrapAt(opts) }, signal }),
          ),
        probePrimary: (body, sig) =>
          callAgent(s('probePrimary', true, sig), (signal) => api.POST('/v1/probes/primary', { body, signal })),
        activate: (token, sig, opts) =>
          callAgent(s('activateDrSecondary', false, sig), (signal) =>
            api.POST('/v1/dr/secondary/activate', {
              body: {
                token,
                ...unwrapAt(opts),
                ...(opts?.activationId === undefined ? {} : { activation_id: opts.activationId }),
                confirm_wipe: true,
              },
              signal,
            }),
          ),
        activation: (activationId, sig) =>
          callAgent(s('getActivation', true, sig), (signal) =>
            api.GET('/v1/dr/secondary/activations/{activation_id}', {
              params: { path: { activation_id: activationId } },
              signal,
            }),
          ),
      }
    },
    async close() {
      const all = [...[...pools.values()].map((p) => p.client), ...retired.splice(0)]
      pools.clear()
      await Promise.allSettled(all.map((client) => client.close()))
    },
  }
}
