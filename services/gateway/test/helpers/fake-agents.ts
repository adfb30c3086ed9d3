import { randomBytes, randomUUID } from 'node:crypto'
import type { CodedError } from '@vault-dr/core'
import type { AgentClients, PrimaryAgentClient, SecondaryAgentClient } from '../../src/agents/agent-clients.ts'
import type { ClusterStatus, ProbeCheck, VaultTokenCheck } from '../../src/agents/agent-types.ts'
import { GatewayErrors } from '../../src/gateway-errors.ts'
import { ttlSeconds } from '../../src/handshakes/token-ttl.ts'

type Mode = 'primary' | 'secondary' | 'disabled' | 'bootstrapping' | 'unknown'

interface FakeCluster {
  mode: Mode
  state: string | null
  clusterId: string | null
  version: string
  sealed: boolean
  enterprise: boolean
}

const rejected = (service: string, status: number, code: string, detail: string): CodedError =>
  (status >= 500 ? GatewayErrors.agentFailed : GatewayErrors.agentRejected)(`${service}: ${code}: ${detail}`, {
    upstream: { service, status, code },
  })

/** An activation token shaped like Vault's (a JWT with iat/exp/type wrapping), unique and easy to search for. */
function fakeJwt(exp: number, iat: number): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const jti = `hvs.${randomBytes(12).toString('hex')}`
  return `${part({ alg: 'ES512', typ: 'JWT' })}.${part({ addr: 'http://primary:8200', exp, iat, jti, nbf: iat - 5, type: 'wrapping' })}.${randomBytes(24).toString('base64url')}`
}

function goodToken(): VaultTokenCheck {
  return {
    name: 'vault_token',
    status: 'pass',
    code: 'OK',
    detail: 'the token holds every capability needed and does not expire',
    fix: null,
    missing: [],
    expires_at: null,
    renewable: null,
    checked_at: new Date(0).toISOString(),
  }
}

/**
 * Two clusters and their agents, in memory, behaving like the real ones closely enough for the state machine:
 * tokens are single use and expire by the fake clock, activation wipes and points the secondary at the primary.
 */
export class FakeWorld {
  now: () => number = Date.now
  primary: FakeCluster = {
    mode: 'disabled',
    state: null,
    clusterId: null,
    version: '1.17.3+ent',
    sealed: false,
    enterprise: true,
  }
  secondary: FakeCluster = {
    mode: 'disabled',
    state: null,
    clusterId: null,
    version: '1.17.3+ent',
    sealed: false,
    enterprise: true,
  }
  knownSecondaries = new Set<string>()
  connected = new Set<string>()
  /** Ids some secondary activated with (its token was used): the primary lists them in `secondaries`, like Vault. */
  peers = new Set<string>()
  secondaryId: string | null = null
  tokens = new Map<string, { id: string; exp: number; used: boolean; revoked: boolean }>()
  /** Every token minted, in order, so tests can search for them anywhere. */
  minted: string[] = []
  activations = 0
  /** How each activation the fake secondary agent was sent ended, by activation id (getActivation). */
  activationStates = new Map<string, 'in_flight' | 'succeeded' | 'failed'>()
  /** A failed activation's may_have_activated (Vault's answer was lost): what an intercept that throws models. */
  activationMayHaveActivated = false
  /** When the fake secondary agent "process" started: a restart of it forgets activationStates. */
  agentStartedAt = new Date(0).toISOString()
  /** Cluster-port trouble seen from the secondary: 'refused' | 'tls_terminated' (after DR is enabled) | undefined. */
  clusterPort: 'refused' | 'tls_terminated' | undefined
  /** The sys/health cluster_id the primary's advertised api_addr reaches from the secondary (another: a wrong LB). */
  apiReaches = 'primary-local-id'
  /** The secondary streams right away after activation; false keeps it connecting. */
  streams = true
  /** Hooks to make one call misbehave; return a promise to replace the call's result. */
  intercept: Partial<Record<string, (next: () => Promise<unknown>) => Promise<unknown>>> = {}
  calls: string[] = []
  /** What each agent's checkVaultToken answers: a token with the whole policy, unless a test says otherwise. */
  vaultToken: Record<'primary' | 'secondary', VaultTokenCheck> = {
    primary: goodToken(),
    secondary: goodToken(),
  }
  /** The secondary_id each primary status read was narrowed to (undefined: the whole list). */
  primaryStatusFor: Array<string | undefined> = []
  /** Per status read of the primary agent: whether it was marked as contact with the quorum side. */
  primaryStatusMarked: boolean[] = []

  #status(c: FakeCluster, role: 'primary' | 'secondary'): ClusterStatus {
    const isPrimary = c.mode === 'primary'
    const isSecondary = c.mode === 'secondary'
    return {
      vault: {
        reachable: true,
        address: `http://${role}:8200`,
        health_code: c.sealed ? 503 : isSecondary ? 472 : 200,
        initialized: true,
        sealed: c.sealed,
        version: c.version,
        enterprise: c.enterprise,
        ha_role: 'active',
        cluster_name: role,
        cluster_id: `${role}-local-id`,
        dr_mode: c.mode,
        error: null,
      },
      replication: {
        mode: c.mode,
        state: c.state,
        cluster_id: c.clusterId,
        merkle_root: null,
        last_wal: isPrimary ? 10 : null,
        known_secondaries: isPrimary ? [...this.knownSecondaries] : [],
        secondaries: isPrimary
          ? [...this.knownSecondaries]
              .filter((id) => this.peers.has(id) || this.connected.has(id))
              .map((id) => ({
                node_id: id,
                api_address: 'http://secondary:8200',
                cluster_address: 'https://secondary:8201',
                connection_status: this.connected.has(id) ? 'connected' : 'disconnected',
                last_heartbeat: null,
                heartbeat_age_s: null,
              }))
          : [],
        primary_cluster_addr: null,
        connection_state: isSecondary ? (this.streams ? 'ready' : 'connecting') : null,
        primaries: [],
        known_primary_cluster_addrs: [],
        last_remote_wal: isSecondary ? 10 : null,
        secondary_id: isSecondary || c.mode === 'bootstrapping' ? this.secondaryId : null,
      },
      checked_at: new Date(this.now()).toISOString(),
    }
  }

  async #call<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    this.calls.push(name)
    const next = async () => fn()
    const hook = this.intercept[name]
    return (hook === undefined ? next() : hook(next)) as Promise<T>
  }

  /** Makes the secondary a replicating DR secondary of the primary, as if a handshake had run. */
  replicate(id = 'dc2'): void {
    this.primary = {
      ...this.primary,
      mode: 'primary',
      state: 'running',
      clusterId: this.primary.clusterId ?? randomUUID(),
    }
    this.knownSecondaries.add(id)
    this.connected.add(id)
    this.peers.add(id)
    this.secondary = { ...this.secondary, mode: 'secondary', state: 'stream-wals', clusterId: this.primary.clusterId }
    this.secondaryId = id
  }

  primaryClient(): PrimaryAgentClient {
    const svc = 'primary-agent'
    return {
      status: (_signal, opts) =>
        this.#call('primary.status', () => {
          this.primaryStatusFor.push(opts?.secondaryId)
          this.primaryStatusMarked.push(opts?.quorumContact !== undefined)
          const status = this.#status(this.primary, 'primary')
          const r = status.replication
          if (opts?.secondaryId === undefined || r === null) return status
          const only = (id: string | null) => id === opts.secondaryId
          return {
            ...status,
            replication: {
              ...r,
              known_secondaries: r.known_secondaries.filter(only),
              secondaries: r.secondaries.filter((s) => only(s.node_id)),
            },
          }
        }),
      enable: () =>
        this.#call('primary.enable', () => {
          if (this.primary.mode === 'secondary') throw rejected(svc, 409, 'PRIMARY_ERR_IS_DR_SECONDARY', 'a secondary')
          const changed = this.primary.mode !== 'primary'
          this.primary = {
            ...this.primary,
            mode: 'primary',
            state: 'running',
            clusterId: this.primary.clusterId ?? randomUUID(),
          }
          return {
            changed,
            detail: changed ? 'enabled as DR primary' : 'already a DR primary',
            warnings: [],
            status: this.#status(this.primary, 'primary'),
          }
        }),
      mintToken: ({ secondary_id: id, ttl }) =>
        this.#call('primary.mintToken', () => {
          if (this.primary.mode !== 'primary') throw rejected(svc, 409, 'PRIMARY_ERR_NOT_PRIMARY', 'not a primary')
          if (this.knownSecondaries.has(id)) throw rejected(svc, 409, 'PRIMARY_ERR_SECONDARY_EXISTS', `${id} exists`)
          const iat = Math.floor(this.now() / 1000)
          const exp = iat + ttlSeconds(ttl)
          const token = fakeJwt(exp, iat)
          this.tokens.set(token, { id, exp: exp * 1000, used: false, revoked: false })
          this.knownSecondaries.add(id)
          this.minted.push(token)
          const claims = { addr: 'http://primary:8200', iat, exp, nbf: iat - 5, type: 'wrapping', accessor: '' }
          return { secondary_id: id, token, expires_at: new Date(exp * 1000).toISOString(), claims }
        }),
      revoke: (id) =>
        this.#call('primary.revoke', () => {
          const revoked = this.knownSecondaries.delete(id)
          this.connected.delete(id)
          this.peers.delete(id)
          for (const t of this.tokens.values()) if (t.id === id) t.revoked = true
          return { secondary_id: id, revoked, detail: revoked ? 'revoked' : 'not known' }
        }),
      vaultToken: () => this.#call('primary.vaultToken', () => this.vaultToken.primary),
      probeLocal: () =>
        this.#call('primary.probeLocal', () => {
          const dr = this.primary.mode === 'primary'
          return {
            ok: true,
            api: { address: 'http://primary:8200', reachable: true, health_code: 200, detail: 'ok' },
            cluster: {
              address: 'https://primary:8201',
              reachable: true,
              alpn: dr ? 'replication_dr_v1' : null,
              dr_alpn: dr,
              fingerprint_sha256: dr ? 'a'.repeat(64) : null,
              code: dr ? 'OK' : 'DR_NOT_ENABLED',
              detail: dr ? 'serves DR' : 'no DR ALPN yet',
              fix: null,
              latency_ms: 1,
            },
            advertised: { api_addr: 'http://primary:8200', cluster_addr: 'https://primary:8201' },
          }
        }),
    }
  }

  #tokenValid(token: string): boolean {
    const t = this.tokens.get(token)
    return t !== undefined && !t.used && !t.revoked && t.exp > this.now() && this.knownSecondaries.has(t.id)
  }

  secondaryClient(): SecondaryAgentClient {
    const svc = 'secondary-agent'
    return {
      status: () => this.#call('secondary.status', () => this.#status(this.secondary, 'secondary')),
      vaultToken: () => this.#call('secondary.vaultToken', () => this.vaultToken.secondary),
      inspect: (token) =>
        this.#call('secondary.inspect', () => {
          const t = this.tokens.get(token)
          const valid = this.#tokenValid(token)
          const exp = Math.floor((t?.exp ?? this.now()) / 1000)
          return {
            claims: { addr: 'http://primary:8200', iat: exp - 300, exp, nbf: null, type: 'wrapping', accessor: '' },
            issued_at: new Date((exp - 300) * 1000).toISOString(),
            expires_at: new Date(exp * 1000).toISOString(),
            not_before: null,
            seconds_left: Math.max(0, Math.floor(exp - this.now() / 1000)),
            expired: exp * 1000 <= this.now(),
            signature_verified: false as const,
            signature_note: 'only the issuing primary can verify the ES512 signature; see lookup' as const,
            lookup: {
              valid,
              address: 'http://primary:8200',
              creation_path: null,
              creation_time: null,
              creation_ttl: null,
              code: valid ? ('OK' as const) : ('TOKEN_USED_OR_EXPIRED' as const),
              detail: valid ? 'held unused' : 'used, expired or revoked',
              fix: valid ? null : 'mint a new one',
            },
          }
        }),
      probePrimary: (body) =>
        this.#call('secondary.probePrimary', () => {
          const check = (
            name: string,
            status: ProbeCheck['status'],
            code: ProbeCheck['code'],
            detail: string,
          ): ProbeCheck => ({
            name,
            target: 'primary:8201',
            status,
            code,
            detail,
            fix: status === 'pass' ? null : 'fix it',
            latency_ms: 1,
          })
          const dr = this.primary.mode === 'primary'
          const wrong = body.expected_cluster_id !== undefined && body.expected_cluster_id !== this.apiReaches
          const checks: ProbeCheck[] = [
            wrong
              ? check('api_health', 'fail', 'WRONG_CLUSTER', `reaches ${this.apiReaches}`)
              : check('api_tcp', 'pass', 'OK', 'connected'),
          ]
          if (this.clusterPort === 'refused') checks.push(check('cluster_tcp', 'fail', 'CONNECTION_REFUSED', 'refused'))
          else if (!dr) checks.push(check('cluster_tls', 'warn', 'DR_NOT_ENABLED', 'no DR ALPN yet'))
          else if (this.clusterPort === 'tls_terminated')
            checks.push(check('cluster_tls', 'fail', 'TLS_TERMINATED', 'terminated'))
          else if (body.expected_fingerprint)
            checks.push(check('cluster_fingerprint', 'pass', 'OK', 'same certificate'))
          else checks.push(check('cluster_fingerprint', 'warn', 'FINGERPRINT_NOT_COMPARED', 'no fingerprint'))
          return { ok: checks.every((c) => c.status !== 'fail'), timeout_ms: 3000, checks }
        }),
      activation: (activationId) =>
        this.#call('secondary.activation', () => ({
          activation_id: activationId,
          state: this.activationStates.get(activationId) ?? 'unknown',
          started_at: null,
          finished_at: null,
          error:
            this.activationStates.get(activationId) === 'failed'
              ? { code: 'X', detail: 'failed', fix: null, may_have_activated: this.activationMayHaveActivated }
              : null,
          agent_instance: 'fake',
          agent_started_at: this.agentStartedAt,
        })),
      activate: (token, _signal, opts) => {
        const settle = (state: 'in_flight' | 'succeeded' | 'failed') => {
          if (opts?.activationId !== undefined) this.activationStates.set(opts.activationId, state)
        }
        // In flight as the real agent records it, before anything (an intercept) can stop the call.
        settle('in_flight')
        return this.#call('secondary.activate', () => {
          settle('failed')
          if (this.secondary.mode === 'secondary' || this.secondary.mode === 'bootstrapping')
            throw rejected(svc, 409, 'SECONDARY_ERR_ALREADY_SECONDARY', 'already')
          if (!this.#tokenValid(token)) throw rejected(svc, 400, 'SECONDARY_ERR_TOKEN_REJECTED', 'rejected')
          settle('succeeded')
          const t = this.tokens.get(token) as { id: string; used: boolean }
          t.used = true
          this.activations++
          this.secondary = {
            ...this.secondary,
            mode: 'secondary',
            state: this.streams ? 'stream-wals' : 'connecting',
            clusterId: this.primary.clusterId,
          }
          this.secondaryId = t.id
          this.peers.add(t.id)
          if (this.streams) this.connected.add(t.id)
          return { activated: true as const, warnings: [], status: this.#status(this.secondary, 'secondary') }
        })
      },
    }
  }

  clients(): AgentClients {
    return { primary: () => this.primaryClient(), secondary: () => this.secondaryClient(), close: async () => {} }
  }
}
