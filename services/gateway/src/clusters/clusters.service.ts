import { invalidFields, isCodedError, singleFlight, VaultTokenCheck, withDeadline } from '@vault-dr/core'
import type { AgentClients, AgentTarget } from '../agents/agent-clients.ts'
import {
  type FenceRecord,
  fenceKey,
  isArmed,
  readFenceEntry,
  readFences,
  UNREADABLE_FENCE,
} from '../failovers/fence-record.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import type { SecretBox } from '../store/secret-box.ts'
import type { Store, StoredCluster } from '../store/store.ts'
import { raceAbort } from '../util/abort.ts'
import { agentUrlWarning } from './agent-url-warning.ts'
import type {
  AgentView,
  Cluster,
  ClusterFence,
  ClusterRole,
  ClusterView,
  RegisterClusterBody,
} from './clusters.schemas.ts'

export interface ClustersServiceDeps {
  store: Store
  box: SecretBox
  agents: AgentClients
  fleetTimeoutMs: number
  now: () => number
}

export type ClustersService = ReturnType<typeof createClustersService>

const fenceView = (f: FenceRecord): ClusterFence => ({
  failover_id: f.failover_id,
  new_primary: f.new_primary,
  fenced_at: f.fenced_at,
  demoted_at: f.demoted_at,
  pending: !isArmed(f),
})

const notRegistered = (name: string) => GatewayErrors.clusterNotFound(`No cluster named ${name} is registered`)

const toCluster = (c: StoredCluster): Cluster => ({
  name: c.name,
  role: c.role,
  agent_url: c.agent_url,
  agent_url_warning: agentUrlWarning(c.agent_url),
  created_at: c.created_at,
  updated_at: c.updated_at,
})

/**
 * How long one agent's answer in the fleet view serves later callers, as the agents share their Vault reads: polling
 * the fleet view then costs each agent a bounded number of calls.
 */
const FLEET_REUSE_MS = 500

/**
 * How long an agent's token check serves the cluster view: each reaches Vault twice (lookup-self,
 * capabilities-self, both audited), and a status page polls the view every few seconds; a token changes only when
 * its agent is restarted with another, or the cluster registered again (which asks at once).
 */
const TOKEN_VIEW_REUSE_MS = 60_000

/** One read per cluster shared by concurrent callers and reused for reuseMs, afresh for each registration of it. */
function perRegistration<T>(
  read: (cluster: StoredCluster) => Promise<T>,
  reuseMs: number,
  reusable: (v: T) => boolean,
) {
  const entries = new Map<string, { registration: string; read: ReturnType<typeof singleFlight<T>> }>()
  return {
    get(cluster: StoredCluster): Promise<T> {
      const registration = `${cluster.agent_url}|${cluster.updated_at}|${cluster.agent_token_sealed}`
      let entry = entries.get(cluster.name)
      if (entry?.registration !== registration) {
        entry = { registration, read: singleFlight(() => read(cluster), reuseMs, reusable) }
        entries.set(cluster.name, entry)
      }
      return entry.read.get()
    },
    /** A removed cluster's read goes with it. */
    forget: (name: string) => entries.delete(name),
  }
}

/** The registry of clusters and their agents; agent tokens are sealed on the way in and never come back out. */
export function createClustersService({ store, box, agents, fleetTimeoutMs, now }: ClustersServiceDeps) {
  function targetOf(cluster: StoredCluster): AgentTarget {
    const token = box.open(cluster.agent_token_sealed, cluster.name)
    if (token === undefined) {
      throw GatewayErrors.storeKeyMismatch(`The agent token of cluster ${cluster.name} cannot be decrypted`)
    }
    return { cluster: cluster.name, url: cluster.agent_url, token }
  }

  const clientOf = (cluster: StoredCluster) => {
    const target = targetOf(cluster)
    return cluster.role === 'primary' ? agents.primary(target) : agents.secondary(target)
  }

  /**
   * The agent's own check of its Vault token; null when it gave none in time, or one of another shape (an agent of
   * another version).
   */
  async function tokenCheck(cluster: StoredCluster): Promise<VaultTokenCheck | null> {
    return withDeadline(fleetTimeoutMs, undefined, ({ signal }) =>
      raceAbort(clientOf(cluster).vaultToken(signal), signal),
    )
      .then((check) => VaultTokenCheck.safeParse(check).data ?? null)
      .catch(() => null)
  }
  // A failed check is asked again each time, as the agent does: a Vault unsealed, or a token mended, shows at once.
  const sharedTokenCheck = perRegistration(tokenCheck, TOKEN_VIEW_REUSE_MS, (v) => v !== null && v.status !== 'fail')

  async function agentView(cluster: StoredCluster): Promise<AgentView> {
    const started = performance.now()
    const latency = () => Math.round(performance.now() - started)
    try {
      const client = clientOf(cluster)
      // Asked together: a status read needs no Vault token, so a token Vault refuses shows only in its own check.
      const [status, vaultToken] = await Promise.all([
        withDeadline(fleetTimeoutMs, undefined, ({ signal }) =>
          raceAbort(client.status(signal, { timeoutMs: fleetTimeoutMs, fresh: false }), signal),
        ),
        sharedTokenCheck.get(cluster),
      ])
      return { reachable: true, latency_ms: latency(), status, vault_token: vaultToken }
    } catch (err) {
      const coded = isCodedError(err)
        ? err
        : GatewayErrors.agentTimeout(`The agent of cluster ${cluster.name} gave no status within ${fleetTimeoutMs} ms`)
      return {
        reachable: false,
        latency_ms: latency(),
        error: { code: coded.code, detail: coded.message, upstream_code: coded.upstream?.code ?? null },
      }
    }
  }

  /** Each cluster's agent view shared by concurrent callers, and reused briefly. */
  const sharedAgentView = perRegistration(agentView, FLEET_REUSE_MS, (v) => v.reachable)

  async function view(cluster: StoredCluster, live: boolean, fence: FenceRecord | undefined): Promise<ClusterView> {
    const agent = live ? await sharedAgentView.get(cluster) : null
    return { ...toCluster(cluster), agent, fence: fence === undefined ? null : fenceView(fence) }
  }

  async function find(name: string): Promise<StoredCluster> {
    const cluster = await store.getCluster(name)
    if (cluster === undefined) throw notRegistered(name)
    return cluster
  }

  return {
    async register(body: RegisterClusterBody) {
      const other = (await store.listClusters()).find(
        (c) => c.name !== body.name && sameAgentUrl(c.agent_url, body.agent_url),
      )
      if (other !== undefined) {
        // Two names for one agent are one Vault cluster: a handshake between them would activate it against itself.
        throw GatewayErrors.agentUrlInUse(`Cluster ${other.name} is registered with the agent at ${other.agent_url}`, {
          cause: invalidFields({
            path: 'body/agent_url',
            message: `is the agent of the registered cluster ${other.name}`,
          }),
        })
      }
      const at = new Date(now()).toISOString()
      const outcome = await store.upsertCluster({
        name: body.name,
        role: body.role,
        agent_url: body.agent_url,
        agent_token_sealed: box.seal(body.agent_token, body.name),
        created_at: at,
        updated_at: at,
      })
      if (outcome.kind === 'in_use') {
        throw GatewayErrors.clusterInUse(
          `Cluster ${body.name} is part of unfinished ${outcome.holder?.kind ?? 'handshake'} ${outcome.handshake}: its role cannot change until that ends (its agent_url and agent_token can)`,
        )
      }
      return { created: outcome.kind === 'created', cluster: toCluster(outcome.cluster) }
    },
    async list(live: boolean) {
      const [clusters, fences] = await Promise.all([store.listClusters(), readFences(store)])
      return Promise.all(clusters.map((c) => view(c, live, fences.get(c.name))))
    },
    async get(name: string, live: boolean) {
      // As in the list: an entry no one can read shows no fence here (its cluster is still treated as fenced).
      const [cluster, fence] = await Promise.all([find(name), readFenceEntry(store, name)])
      return view(cluster, live, fence === UNREADABLE_FENCE ? undefined : fence)
    },
    /**
     * Deregisters a cluster. A fence is no lock (its failover ended), but it is what demotes the cluster when its site
     * returns, and every gateway enforces fences of registered clusters only: one not demoted yet is refused, unless
     * `siteLost` says the site is gone for good (the fence is kept, and answered, for the caller to say so).
     */
    async remove(name: string, opts: { siteLost?: boolean } = {}): Promise<FenceRecord | undefined> {
      await find(name)
      const fences = await readFences(store)
      if (fences.unreadable.has(name) && opts.siteLost !== true) {
        throw GatewayErrors.clusterFenced(
          `Cluster ${name} has a fence entry (${fenceKey(name)}) this gateway cannot read (damaged, or written by a newer gateway): it may be fenced and not demoted yet, so it cannot be deregistered`,
        )
      }
      const recorded = fences.get(name)
      const fence = recorded !== undefined && recorded.demoted_at === null ? recorded : undefined
      if (fence !== undefined && opts.siteLost !== true) {
        throw GatewayErrors.clusterFenced(
          `Cluster ${name} was fenced by failover ${fence.failover_id} at ${fence.fenced_at} (${fence.new_primary} was promoted) and has not been demoted yet: it cannot be deregistered until it is`,
        )
      }
      const outcome = await store.deleteCluster(name)
      if (outcome === 'not_found') throw notRegistered(name)
      if (outcome === 'in_use')
        throw GatewayErrors.clusterInUse(`Cluster ${name} is part of an unfinished handshake or operation`)
      agents.release?.(name)
      sharedAgentView.forget(name)
      sharedTokenCheck.forget(name)
      return fence
    },
    /** A cluster named in a request body, checked to have the role it is named for (the field, body/<role>). */
    async resolve(name: string, role: ClusterRole): Promise<StoredCluster> {
      const cluster = await store.getCluster(name)
      const field = (message: string) => ({ cause: invalidFields({ path: `body/${role}`, message }) })
      if (cluster === undefined) {
        throw GatewayErrors.unknownCluster(
          `No cluster named ${name} is registered (body/${role})`,
          field('names no registered cluster'),
        )
      }
      if (cluster.role !== role) {
        throw GatewayErrors.clusterRole(
          `Cluster ${name} is registered as ${cluster.role}, not ${role} (body/${role})`,
          field(`names a cluster registered as ${cluster.role}`),
        )
      }
      return cluster
    },
    targetOf,
  }
}

/** Two agent URLs naming the same agent: scheme, host and port as URL parsing normalizes them, and the path. */
export function sameAgentUrl(a: string, b: string): boolean {
  const key = (u: string) => {
    const url = URL.parse(u)
    return url === null ? u : `${url.origin}${url.pathname.replace(/\/+$/, '')}`
  }
  return key(a) === key(b)
}
