import { createHash } from 'node:crypto'
import { createServiceClient, type ServiceClient } from '@vault-dr/core/service-client'
import { type AgentService, callAgent } from './agent-call.ts'
import type {
  ActivateResult,
  ActivationState,
  CeremonyProgress,
  ClusterStatus,
  DrOperationToken,
  DrOperationTokenCheck,
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
  VaultTokenCheck,
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
  /** Whether the agent's Vault token can do what its operations need (checkVaultToken). */
  vaultToken(signal?: Sig): Promise<VaultTokenCheck>
  /** Issues a batch DR operation token (the policy and token role written when needed); the answer holds it once. */
  createDrOperationToken?(body: { ttl?: string }, signal?: Sig): Promise<DrOperationToken>
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
  /** Whether the agent's Vault token can do what its operations need (checkVaultToken). */
  vaultToken(signal?: Sig): Promise<VaultTokenCheck>
  /** Checks a DR operation token against the secondary with a call that changes nothing. */
  checkDrOperationToken?(token: string, signal?: Sig): Promise<DrOperationTokenCheck>
  /** The key-share ceremony on the secondary: start (Vault makes the OTP, the agent keeps it), shares, cancel. */
  startCeremony?(signal?: Sig): Promise<CeremonyProgress>
  /** The last share's answer holds the decoded DR operation token, once. */
  submitCeremonyShare?(nonce: string, key: string, signal?: Sig): Promise<CeremonyProgress>
  cancelCeremony?(signal?: Sig): Promise<{ cancelled: boolean }>
}

const unwrapAt = ({ primaryApiAddr }: UnwrapAddress = {}) =>
  primaryApiAddr === undefined ? {} : { primary_api_addr: primaryApiAddr }

/** The seam between the gateway and its agents; tests inject fakes through buildApp's deps. */
export interface AgentClients {
  primary(target: AgentTarget): PrimaryAgentClient
  secondary(target: AgentTarget): SecondaryAgentClient
  /** The cluster is no longer registered: close its connection pool once no call uses it (clients that pool). */
  release?(cluster: string): void
  close(): Promise<void>
}

/**
 * Clients typed from the agents' OpenAPI documents, with one connection pool per cluster registration. The
 * registration a client is made for is the cluster's current one: a pool it replaces (the cluster was registered
 * again with another URL or token) is closed as soon as no call uses it. A client made before keeps working (a
 * running handshake may hold one): its calls get a pool of their own, closed after them.
 */
export function createAgentClients(opts: {
  timeoutMs: number
  changeTimeoutMs?: number
  /** CA that signed the agents' HTTPS certificates, when the system roots do not hold it. */
  caPem?: string | undefined
}): AgentClients {
  const changeTimeoutMs = Math.max(opts.changeTimeoutMs ?? opts.timeoutMs, opts.timeoutMs)
  const pools = agentPools((target) =>
    // The pool's own deadline is the longest; each call brings its own (callAgent).
    createServiceClient<object>({
      baseUrl: target.url,
      token: target.token,
      timeoutMs: changeTimeoutMs,
      caPem: opts.caPem,
      deadlinePerCall: false, // callAgent gives each call its own deadline
    }),
  )
  /** Runs one operation of `target`'s agent through its pool, with the operation's deadline and retry policy. */
  function via<P extends object>(service: AgentService, target: AgentTarget) {
    const key = pools.adopt(target)
    return <T>(operation: string, idempotent: boolean, signal: Sig, send: SendVia<P, T>, timeoutMs?: number) =>
      pools.run<T>(target, key, (client) =>
        callAgent(
          {
            service,
            cluster: target.cluster,
            operation,
            idempotent,
            timeoutMs:
              timeoutMs ??
              (operation === 'enableDrPrimary' || operation === 'activateDrSecondary'
                ? changeTimeoutMs
                : opts.timeoutMs),
            signal,
          },
          (callSignal) => send((client as ServiceClient<P>).api, callSignal),
        ),
      )
  }
  return {
    primary(target) {
      const call = via<PrimaryPaths>('primary-agent', target)
      return {
        status: (sig, { fresh = true, timeoutMs, secondaryId } = {}) =>
          call(
            'getPrimaryStatus',
            true,
            sig,
            (api, signal) =>
              api.GET('/v1/status', {
                params: {
                  query: {
                    ...(fresh ? { max_age_ms: 0 } : {}),
                    ...(secondaryId === undefined ? {} : { secondary_id: secondaryId }),
                  },
                },
                signal,
              }),
            timeoutMs || undefined,
          ),
        enable: (sig, body = {}) =>
          call('enableDrPrimary', true, sig, (api, signal) => api.POST('/v1/dr/primary/enable', { body, signal })),
        mintToken: (body, sig) =>
          call('createSecondaryToken', false, sig, (api, signal) =>
            api.POST('/v1/dr/primary/secondary-token', { body, signal }),
          ),
        revoke: (secondaryId, sig) =>
          call('revokeSecondary', true, sig, (api, signal) =>
            api.POST('/v1/dr/primary/revoke-secondary', { body: { secondary_id: secondaryId }, signal }),
          ),
        probeLocal: (sig) =>
          call('probeLocalCluster', true, sig, (api, signal) => api.POST('/v1/probes/local', { signal })),
        vaultToken: (sig) =>
          call('checkVaultToken', true, sig, (api, signal) => api.GET('/v1/vault-token', { signal })),
        // Not repeated: a repeat could issue a second token, which nobody would keep.
        createDrOperationToken: (body, sig) =>
          call('createDrOperationToken', false, sig, (api, signal) =>
            api.POST('/v1/dr/operation-token', { body, signal }),
          ),
      }
    },
    secondary(target) {
      const call = via<SecondaryPaths>('secondary-agent', target)
      return {
        status: (sig, { fresh = true, timeoutMs } = {}) =>
          call(
            'getSecondaryStatus',
            true,
            sig,
            (api, signal) => api.GET('/v1/status', { params: { query: fresh ? { max_age_ms: 0 } : {} }, signal }),
            timeoutMs || undefined,
          ),
        inspect: (token, sig, opts) =>
          call('inspectToken', true, sig, (api, signal) =>
            api.POST('/v1/tokens/inspect', { body: { token, ...unwrapAt(opts) }, signal }),
          ),
        probePrimary: (body, sig) =>
          call('probePrimary', true, sig, (api, signal) => api.POST('/v1/probes/primary', { body, signal })),
        activate: (token, sig, opts) =>
          call('activateDrSecondary', false, sig, (api, signal) =>
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
          call('getActivation', true, sig, (api, signal) =>
            api.GET('/v1/dr/secondary/activations/{activation_id}', {
              params: { path: { activation_id: activationId } },
              signal,
            }),
          ),
        vaultToken: (sig) =>
          call('checkVaultToken', true, sig, (api, signal) => api.GET('/v1/vault-token', { signal })),
        checkDrOperationToken: (token, sig) =>
          call('checkDrOperationToken', true, sig, (api, signal) =>
            api.POST('/v1/dr/operation-token/check', { body: { token }, signal }),
          ),
        startCeremony: (sig) =>
          call('startDrTokenCeremony', false, sig, (api, signal) =>
            api.POST('/v1/dr/operation-token/ceremony', { signal }),
          ),
        submitCeremonyShare: (nonce, key, sig) =>
          call('submitDrTokenCeremonyShare', false, sig, (api, signal) =>
            api.POST('/v1/dr/operation-token/ceremony/{nonce}/shares', {
              params: { path: { nonce } },
              body: { key },
              signal,
            }),
          ),
        cancelCeremony: (sig) =>
          call('cancelDrTokenCeremony', true, sig, (api, signal) =>
            api.DELETE('/v1/dr/operation-token/ceremony', { signal }),
          ),
      }
    },
    release: (cluster) => pools.release(cluster),
    close: () => pools.close(),
  }
}

/** One request through the typed client, answering as openapi-fetch does. */
type SendVia<P extends object, T> = (
  api: ServiceClient<P>['api'],
  signal: AbortSignal,
) => Promise<{ data?: T; error?: unknown; response: Response }>

interface Pool {
  key: string
  cluster: string
  client: ServiceClient<object>
  /** Calls running through it: a pool that is not its cluster's current one closes when this drops to 0. */
  calls: number
}

/** The connection pools of the agents, by cluster registration (name, URL and token). */
function agentPools(make: (target: AgentTarget) => ServiceClient<object>) {
  const pools = new Map<string, Pool>()
  /** Each cluster's current registration, as a pool key. */
  const current = new Map<string, string>()
  const closing = new Set<Promise<void>>()
  function closeIfUnused(pool: Pool) {
    if (pool.calls > 0 || current.get(pool.cluster) === pool.key) return
    pools.delete(pool.key)
    const done: Promise<void> = pool.client
      .close()
      .catch(() => {})
      .finally(() => closing.delete(done))
    closing.add(done)
  }
  return {
    /** `target` is its cluster's registration now: the pool of the one before closes once unused. */
    adopt(target: AgentTarget): string {
      const key = `${target.cluster}|${target.url}|${createHash('sha256').update(target.token).digest('hex')}`
      const before = current.get(target.cluster)
      if (before !== key) {
        current.set(target.cluster, key)
        const replaced = before === undefined ? undefined : pools.get(before)
        if (replaced !== undefined) closeIfUnused(replaced)
      }
      return key
    },
    async run<T>(target: AgentTarget, key: string, fn: (client: ServiceClient<object>) => Promise<T>): Promise<T> {
      let pool = pools.get(key)
      if (pool === undefined) {
        pool = { key, cluster: target.cluster, client: make(target), calls: 0 }
        pools.set(key, pool)
      }
      pool.calls++
      try {
        return await fn(pool.client)
      } finally {
        pool.calls--
        closeIfUnused(pool)
      }
    },
    release(cluster: string): void {
      const key = current.get(cluster)
      current.delete(cluster)
      const pool = key === undefined ? undefined : pools.get(key)
      if (pool !== undefined) closeIfUnused(pool)
    },
    async close(): Promise<void> {
      current.clear()
      const all = [...pools.values()]
      pools.clear()
      await Promise.allSettled([...all.map((pool) => pool.client.close()), ...closing])
    },
  }
}
