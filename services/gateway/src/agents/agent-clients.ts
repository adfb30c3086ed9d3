import { CONTACT_HEADER, CONTACT_WITHIN_HEADER, QUORUM_CONTACT } from '@vault-dr/core'
import { createServiceClient, type ServiceClient } from '@vault-dr/core/service-client'
import { type AgentService, type CallSpec, callAgent } from './agent-call.ts'
import { agentPools } from './agent-pools.ts'
import type { PrimaryPaths, Serving } from './agent-types.ts'
import type {
  AgentClients,
  AgentTarget,
  ClusterAgentClient,
  EpochOption,
  FenceOptions,
  UnwrapAddress,
} from './cluster-agent-client.ts'

export type {
  ActivateOptions,
  AgentClients,
  AgentTarget,
  ClusterAgentClient,
  EpochOption,
  FenceOptions,
  MintTokenRequest,
  PrimaryAgentClient,
  PrimaryStatusOptions,
  RoleChangeOptions,
  SecondaryAgentClient,
  StatusOptions,
  UnwrapAddress,
} from './cluster-agent-client.ts'
export { clusterAgent } from './cluster-agent-client.ts'

/** Calls accept an AbortSignal so a stopping gateway can abandon them. */
type Sig = AbortSignal | undefined

/** The header every mutating agent call carries its fencing epoch in. */
export const EPOCH_HEADER = 'x-vault-dr-epoch'

const unwrapAt = ({ primaryApiAddr }: UnwrapAddress = {}) =>
  primaryApiAddr === undefined ? {} : { primary_api_addr: primaryApiAddr }

/** The request's header parameters for `opts.epoch`: none when the call is not fenced. */
const fenced = (opts: EpochOption | undefined) =>
  opts?.epoch === undefined ? {} : { header: { [EPOCH_HEADER]: String(opts.epoch) } }

/** The header parameters of a call that requires its epoch (the fence calls, the role changes). */
const atEpoch = (opts: FenceOptions) => ({ header: { [EPOCH_HEADER]: String(opts.epoch) } })

/** Calls that change a cluster's role wait at the agent until Vault settles: they get the longer deadline. */
const SLOW_OPERATIONS = new Set([
  'enableDrPrimary',
  'activateDrSecondary',
  'demoteDrPrimary',
  'promoteDrSecondary',
  'updateDrPrimary',
  'fenceCluster',
])

/** Each service's own name for its status operation, in errors and metrics. */
const STATUS_OPERATION: Record<AgentService, string> = {
  'primary-agent': 'getPrimaryStatus',
  'secondary-agent': 'getSecondaryStatus',
  agent: 'getClusterStatus',
}

/** AgentClients whose every view is the whole ClusterAgentClient. */
export interface ClusterAgentClients extends AgentClients {
  primary(target: AgentTarget): ClusterAgentClient
  secondary(target: AgentTarget): ClusterAgentClient
  cluster(target: AgentTarget): ClusterAgentClient
}

/**
 * Clients typed from the agents' OpenAPI documents, with one connection pool per cluster registration. The
 * registration a client is made for is the cluster's current one: a pool it replaces (the cluster was registered
 * again with another URL or token) is closed as soon as no call uses it. A client made before keeps working (a
 * running handshake may hold one): its calls get a pool of their own, closed after them. Both agents serve every
 * operation, so primary(), secondary() and cluster() make the same client; they differ only in the name errors give.
 */
export function createAgentClients(opts: {
  timeoutMs: number
  changeTimeoutMs?: number
  /** CA that signed the agents' HTTPS certificates, when the system roots do not hold it. */
  caPem?: string | undefined
}): ClusterAgentClients {
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
  function via(service: AgentService, target: AgentTarget) {
    const key = pools.adopt(target)
    return <T>(
      operation: string,
      idempotent: CallSpec['idempotent'],
      signal: Sig,
      send: SendVia<T>,
      timeoutMs?: number,
    ) =>
      pools.run<T>(target, key, (client) =>
        callAgent(
          {
            service,
            cluster: target.cluster,
            operation,
            idempotent,
            timeoutMs: timeoutMs ?? (SLOW_OPERATIONS.has(operation) ? changeTimeoutMs : opts.timeoutMs),
            signal,
          },
          (callSignal) => send((client as ServiceClient<PrimaryPaths>).api, callSignal),
        ),
      )
  }

  function client(service: AgentService, target: AgentTarget): ClusterAgentClient {
    const call = via(service, target)
    return {
      status: (sig, { fresh = true, timeoutMs, secondaryId, quorumContact } = {}) => {
        // A marked read is sent once (the next round is a few seconds away) and says how long its answer may still
        // take when it leaves, queued or not: the agent counts no answer this gateway gave up on.
        const answerBy = quorumContact === undefined ? undefined : performance.now() + quorumContact.withinMs
        return call(
          STATUS_OPERATION[service],
          answerBy === undefined,
          sig,
          (api, signal) =>
            api.GET('/v1/status', {
              params: {
                query: {
                  ...(fresh ? { max_age_ms: 0 } : {}),
                  ...(secondaryId === undefined ? {} : { secondary_id: secondaryId }),
                },
                ...(answerBy === undefined
                  ? {}
                  : {
                      header: {
                        [CONTACT_HEADER]: QUORUM_CONTACT,
                        [CONTACT_WITHIN_HEADER]: String(Math.max(1, Math.floor(answerBy - performance.now()))),
                      },
                    }),
              },
              signal,
            }),
          timeoutMs || undefined,
        )
      },
      vaultToken: (sig) => call('checkVaultToken', true, sig, (api, signal) => api.GET('/v1/vault-token', { signal })),
      // Not repeated: a repeat would measure a second write, not the first one's outcome.
      checkWrites: (sig) =>
        call('checkClusterWrites', false, sig, (api, signal) => api.POST('/v1/cluster/write-check', { signal })),
      enable: (sig, body = {}, o) =>
        call('enableDrPrimary', true, sig, (api, signal) =>
          api.POST('/v1/dr/primary/enable', { body, params: fenced(o), signal }),
        ),
      mintToken: (body, sig, o) =>
        call('createSecondaryToken', false, sig, (api, signal) =>
          api.POST('/v1/dr/primary/secondary-token', { body, params: fenced(o), signal }),
        ),
      revoke: (secondaryId, sig, o) =>
        call('revokeSecondary', true, sig, (api, signal) =>
          api.POST('/v1/dr/primary/revoke-secondary', {
            body: { secondary_id: secondaryId },
            params: fenced(o),
            signal,
          }),
        ),
      probeLocal: (sig) =>
        call('probeLocalCluster', true, sig, (api, signal) => api.POST('/v1/probes/local', { signal })),
      // Not repeated: a repeat could issue a second token, which nobody would keep.
      createDrOperationToken: (body, sig, o) =>
        call('createDrOperationToken', false, sig, (api, signal) =>
          api.POST('/v1/dr/operation-token', { body, params: fenced(o), signal }),
        ),
      inspect: (token, sig, o) =>
        call('inspectToken', true, sig, (api, signal) =>
          api.POST('/v1/tokens/inspect', { body: { token, ...unwrapAt(o) }, signal }),
        ),
      probePrimary: (body, sig) =>
        call('probePrimary', true, sig, (api, signal) => api.POST('/v1/probes/primary', { body, signal })),
      activate: (token, sig, o) =>
        call('activateDrSecondary', false, sig, (api, signal) =>
          api.POST('/v1/dr/secondary/activate', {
            body: {
              token,
              ...unwrapAt(o),
              ...(o?.activationId === undefined ? {} : { activation_id: o.activationId }),
              confirm_wipe: true,
            },
            params: fenced(o),
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
      checkDrOperationToken: (token, sig) =>
        call('checkDrOperationToken', true, sig, (api, signal) =>
          api.POST('/v1/dr/operation-token/check', { body: { token }, signal }),
        ),
      checkMerkle: (drOperationToken, sig) =>
        call('checkDrMerkleTree', true, sig, (api, signal) =>
          api.POST('/v1/dr/secondary/merkle-check', { body: { dr_operation_token: drOperationToken }, signal }),
        ),
      startCeremony: (sig, o) =>
        call('startDrTokenCeremony', false, sig, (api, signal) =>
          api.POST('/v1/dr/operation-token/ceremony', { params: fenced(o), signal }),
        ),
      submitCeremonyShare: (nonce, key, sig, o) =>
        call('submitDrTokenCeremonyShare', false, sig, (api, signal) =>
          api.POST('/v1/dr/operation-token/ceremony/{nonce}/shares', {
            params: { path: { nonce }, ...fenced(o) },
            body: { key },
            signal,
          }),
        ),
      cancelCeremony: (sig, o) =>
        call('cancelDrTokenCeremony', true, sig, (api, signal) =>
          api.DELETE('/v1/dr/operation-token/ceremony', { params: fenced(o), signal }),
        ),
      // Repeated after a lost answer, a delete that landed answers not_valid: the token is gone either way.
      deleteDrOperationToken: (token, sig, o) =>
        call('deleteDrOperationToken', true, sig, (api, signal) =>
          api.POST('/v1/dr/operation-token/delete', { params: fenced(o), body: { token }, signal }),
        ),
      // A demote of a cluster already demoted answers changed: false, so it is safe to repeat, also after a busy
      // answer (the agent reads the cluster again when its turn comes).
      demote: (_body, o) =>
        call('demoteDrPrimary', 'also_when_busy', o.signal, (api, signal) =>
          api.POST('/v1/dr/primary/demote', { params: atEpoch(o), signal }),
        ),
      // Not repeated: a repeated promote is refused (the cluster is a primary by then), and update-primary spends
      // its activation token.
      promote: (body, o) =>
        call('promoteDrSecondary', false, o.signal, (api, signal) =>
          api.POST('/v1/dr/secondary/promote', { body, params: atEpoch(o), signal }),
        ),
      updatePrimary: (body, o) =>
        call('updateDrPrimary', false, o.signal, (api, signal) =>
          api.POST('/v1/dr/secondary/update-primary', { body, params: atEpoch(o), signal }),
        ),
      // Each call makes a key; the caller uses the one it was answered, so a repeat is harmless.
      generatePublicKey: (o) =>
        call('generateDrPublicKey', true, o?.signal, (api, signal) =>
          api.POST('/v1/dr/secondary/generate-public-key', { params: fenced(o), signal }),
        ),
      // The agent keeps the first record and demotes again if needed: safe to repeat.
      fence: (body, o) =>
        call('fenceCluster', true, o.signal, (api, signal) =>
          api.POST('/v1/dr/fence', { body, params: atEpoch(o), signal }),
        ),
      clearFence: (o) =>
        call('clearFence', true, o.signal, (api, signal) =>
          api.POST('/v1/dr/fence/clear', { params: atEpoch(o), signal }),
        ),
      // getServing answers its view with 503 too (the cluster is not to take clients): an answer, not a failure.
      serving: (sig) =>
        call('getServing', true, sig, async (api, signal) => {
          const sent = await api.GET('/serving', { signal })
          const view = sent.response.status === 503 ? (sent.error as Partial<Serving> | undefined) : undefined
          return view?.reason === undefined ? sent : { data: view as Serving, response: new Response(null) }
        }),
      confirmServing: (body, o) =>
        call('confirmServing', true, o.signal, (api, signal) =>
          api.POST('/v1/dr/serving/confirm', {
            body,
            params: atEpoch(o),
            signal,
          }),
        ),
    }
  }

  return {
    primary: (target) => client('primary-agent', target),
    secondary: (target) => client('secondary-agent', target),
    cluster: (target) => client('agent', target),
    release: (cluster) => pools.release(cluster),
    close: () => pools.close(),
  }
}

/** One request through the typed client, answering as openapi-fetch does. */
type SendVia<T> = (
  api: ServiceClient<PrimaryPaths>['api'],
  signal: AbortSignal,
) => Promise<{ data?: T; error?: unknown; response: Response }>
