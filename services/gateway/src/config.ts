import { hostname } from 'node:os'
import {
  loadEnv,
  msVar,
  pemFileVar,
  pemKeyFileVar,
  printableAscii,
  SERVICE_SECRET_VARS,
  type ServiceSettings,
  serviceEnvShape,
  serviceSettings,
} from '@vault-dr/core'
import { z } from 'zod'
import { MAX_PRIMARY_CONTACT_MS } from './failovers/primary-contact.ts'
import { TokenTtl, ttlSeconds } from './handshakes/token-ttl.ts'
import { DEFAULT_HOOK_SETTINGS, type HookSettings } from './hooks/hook-settings.ts'
import { etcdSettings } from './store/etcd-config.ts'
import type { EtcdSettings } from './store/etcd-kv.ts'

export const DEFAULT_PORT = 8400

/** Secrets the gateway reads from `<NAME>_FILE` when that is set. */
export const GATEWAY_SECRET_VARS = [...SERVICE_SECRET_VARS, 'VAULT_DR_STORE_KEY', 'VAULT_DR_READ_TOKEN'] as const

const GatewayEnv = z.object({
  ...serviceEnvShape(DEFAULT_PORT),
  /**
   * The SQLite file of clusters and handshakes (created with its directories); ':memory:' for a throwaway store; or
   * etcd://host1:2379,host2:2379,host3:2379 for an etcd cluster that several gateways share.
   */
  VAULT_DR_STORE: z.string().min(1).default('.vault-dr/gateway.sqlite'),
  /** etcd over TLS: the CA (PEM file) that signed the members' certificates. */
  VAULT_DR_ETCD_CACERT: pemFileVar.optional(),
  /** etcd client certificate and its key (PEM files), when the members ask for one. */
  VAULT_DR_ETCD_CERT: pemFileVar.optional(),
  VAULT_DR_ETCD_KEY: pemKeyFileVar.optional(),
  /** Every key the gateway writes in etcd starts with this. */
  VAULT_DR_ETCD_PREFIX: z
    .string()
    .regex(/^\/(.*\/)?$/, 'must start and end with "/", such as /vault-dr/')
    .default('/vault-dr/'),
  /** Deadline of one call to an etcd member; a call without a quorum fails after it. */
  VAULT_DR_ETCD_TIMEOUT_MS: msVar(2_000),
  /**
   * Secret the key that encrypts agent tokens at rest is derived from (HKDF-SHA256). Unset: VAULT_DR_API_TOKEN is
   * used, so rotating the API token then means registering the clusters again.
   */
  VAULT_DR_STORE_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * A second bearer token that only reads: GET routes and the POST routes that change nothing (plans, preflight). For
   * the status page and monitoring, which then do not hold a token that can start a failover.
   */
  VAULT_DR_READ_TOKEN: printableAscii(z.string().min(16, 'must be at least 16 characters')).optional(),
  /** CA (PEM file) that signed the agents' HTTPS certificates, when the system roots do not hold it. */
  VAULT_DR_AGENT_CACERT: pemFileVar.optional(),
  /** Deadline of one call to an agent (status, probes, mint, inspect...). */
  VAULT_DR_AGENT_TIMEOUT_MS: msVar(15_000),
  /** Deadline of the calls that change a cluster and wait for it to settle: enable, activate, demote, promote, update-primary, fence. */
  VAULT_DR_AGENT_CHANGE_TIMEOUT_MS: msVar(60_000),
  /**
   * How long a role step (demote, promote, re-pointing...) whose agent gave no answer is run again from its start,
   * waiting for the agent to come back (a restart); 0: the operation fails at once, as before.
   */
  VAULT_DR_AGENT_RETURN_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int()
    .min(0, 'must be 0 (off) or more')
    .default(60_000),
  /** Deadline of each agent's status in the fleet view (GET /v1/clusters). */
  VAULT_DR_FLEET_TIMEOUT_MS: msVar(2_000),
  /** How long `verify` waits for the secondary to stream WALs from the primary. */
  VAULT_DR_VERIFY_TIMEOUT_MS: msVar(60_000),
  /** Default TTL of activation tokens the gateway mints (a handshake may set token_ttl). */
  VAULT_DR_TOKEN_TTL: TokenTtl.default('5m'),
  /** A token with less time left than this is revoked and minted anew before it is handed over. */
  VAULT_DR_TOKEN_MIN_REMAINING_MS: msVar(30_000),
  /** Name of this gateway in handshake leases, so several gateways can share one store. */
  VAULT_DR_GATEWAY_ID: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[^/]+$/, 'must not contain "/" (leases are written as <id>/<instance>)')
    .default(hostname()),
  /** How long a gateway's claim on a running handshake lasts without renewal before another may take it over. */
  VAULT_DR_LEASE_MS: msVar(30_000),
  /** Handshakes this gateway runs at once; more wait their turn as pending, so a fleet does not swamp a primary. */
  VAULT_DR_MAX_RUNNING_HANDSHAKES: z.coerce.number().int().min(1).max(10_000).default(32),
  /** TTL of the DR operation tokens the gateway asks primaries for; unset: the primary agent's own (8h). */
  VAULT_DR_OPERATION_TOKEN_TTL: TokenTtl.optional(),
  /** A DR operation token with less time left than this makes readiness warn (check P4). */
  VAULT_DR_OPERATION_TOKEN_MIN_REMAINING: TokenTtl.default('2h'),
  /** How often the gateway's upkeep of its pairs runs: DR operation tokens issued and checked, pair metrics. */
  VAULT_DR_PAIRS_UPKEEP_MS: msVar(60_000),
  /** How often the gateway looks for a fenced old primary whose agent answers again, to demote it. */
  VAULT_DR_FENCE_CHECK_MS: msVar(5_000),
  /**
   * How often the gateway reaches every DR primary's agent (while it reaches the store's quorum) and records it: at
   * most a third of the shortest VAULT_DR_FENCE_ON_ISOLATION an agent accepts (10 s), so an agent never fences
   * itself while a gateway with the quorum reaches it.
   */
  VAULT_DR_PRIMARY_CONTACT_MS: msVar(3_000).refine((ms) => ms <= MAX_PRIMARY_CONTACT_MS, {
    message: `must be at most ${MAX_PRIMARY_CONTACT_MS} (a third of the shortest self-fencing duration, 10 s)`,
  }),
  /** After a failover of a pair, how long no automatic failover of it may start (anti-flap). */
  VAULT_DR_AUTO_FAILOVER_BLOCK: TokenTtl.default('1h'),
  /** CA (PEM file) of the switchover and drill hooks' HTTPS certificates; unset: the system roots. */
  VAULT_DR_HOOK_CACERT: pemFileVar.optional(),
  /** How long a switchover or drill hook may take to answer. */
  VAULT_DR_HOOK_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int()
    .min(100, 'must be between 100 and 300000')
    .max(300_000, 'must be between 100 and 300000')
    .default(DEFAULT_HOOK_SETTINGS.timeoutMs),
})

/** What no single variable can say: combinations that cannot work, refused at start with the variables named. */
const CheckedGatewayEnv = GatewayEnv.superRefine((env, ctx) => {
  if (env.VAULT_DR_READ_TOKEN !== undefined && env.VAULT_DR_READ_TOKEN === env.VAULT_DR_API_TOKEN) {
    ctx.addIssue({
      code: 'custom',
      path: ['VAULT_DR_READ_TOKEN'],
      message: 'must differ from VAULT_DR_API_TOKEN: a read-only token equal to the API token could do everything',
    })
  }
  // zod runs this after a failed check too: a malformed TTL or minimum already has its message.
  const minMs = env.VAULT_DR_TOKEN_MIN_REMAINING_MS
  if (!TokenTtl.safeParse(env.VAULT_DR_TOKEN_TTL).success || !Number.isInteger(minMs)) return
  const ttlMs = ttlSeconds(env.VAULT_DR_TOKEN_TTL) * 1000
  // Every handshake would be refused (token_ttl not longer than the time a token must have left).
  if (ttlMs <= minMs) {
    ctx.addIssue({
      code: 'custom',
      path: ['VAULT_DR_TOKEN_TTL'],
      message: `${env.VAULT_DR_TOKEN_TTL} (${ttlMs} ms) must be longer than VAULT_DR_TOKEN_MIN_REMAINING_MS (${minMs} ms), the time a token must have left when handed over: every handshake would be refused. Set a longer TTL (default 5m) or a shorter minimum.`,
    })
  }
})

export interface HandshakeSettings {
  agentTimeoutMs: number
  agentChangeTimeoutMs: number
  /** VAULT_DR_AGENT_RETURN_MS */
  agentReturnMs: number
  fleetTimeoutMs: number
  verifyTimeoutMs: number
  defaultTokenTtl: string
  tokenMinRemainingMs: number
  gatewayId: string
  leaseMs: number
  maxRunning: number
  /** VAULT_DR_HOOK_CACERT, VAULT_DR_HOOK_TIMEOUT_MS; unset (a config built by hand): their defaults. */
  hooks?: HookSettings
}

export interface PairsSettings {
  drTokenTtl: string | undefined
  drTokenMinRemainingS: number
  upkeepMs: number
  /** VAULT_DR_FENCE_CHECK_MS: also how often the automatic failover watcher looks at its pairs */
  fenceCheckMs: number
  /** VAULT_DR_AUTO_FAILOVER_BLOCK, in ms */
  autoFailoverBlockMs: number
  /** VAULT_DR_PRIMARY_CONTACT_MS */
  primaryContactMs: number
}

export interface GatewayConfig extends ServiceSettings {
  storePath: string
  /** Set when VAULT_DR_STORE is etcd://...: the members, TLS and key prefix. */
  etcd: EtcdSettings | undefined
  /** The secret the store's encryption key is derived from: VAULT_DR_STORE_KEY, else the API token. */
  storeSecret: string
  /** True when VAULT_DR_STORE_KEY is not set and the API token stands in for it (said at start). */
  storeKeyFromApiToken?: boolean
  /** VAULT_DR_READ_TOKEN: a bearer token that only reads. */
  readToken?: string | undefined
  /** CA that signed the agents' HTTPS certificates (VAULT_DR_AGENT_CACERT). */
  agentCaPem: string | undefined
  handshakes: HandshakeSettings
  /** Optional for callers that build a config by hand: the defaults of the variables apply. */
  pairs?: PairsSettings
}

/** The only place the gateway reads its environment. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const parsed = loadEnv(CheckedGatewayEnv, env, GATEWAY_SECRET_VARS)
  return {
    ...serviceSettings(parsed),
    storePath: parsed.VAULT_DR_STORE,
    etcd: etcdSettings({
      store: parsed.VAULT_DR_STORE,
      caPem: parsed.VAULT_DR_ETCD_CACERT?.pem,
      certPem: parsed.VAULT_DR_ETCD_CERT?.pem,
      keyPem: parsed.VAULT_DR_ETCD_KEY?.pem,
      prefix: parsed.VAULT_DR_ETCD_PREFIX,
      callTimeoutMs: parsed.VAULT_DR_ETCD_TIMEOUT_MS,
    }),
    storeSecret: parsed.VAULT_DR_STORE_KEY ?? parsed.VAULT_DR_API_TOKEN,
    storeKeyFromApiToken: parsed.VAULT_DR_STORE_KEY === undefined,
    readToken: parsed.VAULT_DR_READ_TOKEN,
    agentCaPem: parsed.VAULT_DR_AGENT_CACERT?.pem,
    handshakes: {
      agentTimeoutMs: parsed.VAULT_DR_AGENT_TIMEOUT_MS,
      agentChangeTimeoutMs: Math.max(parsed.VAULT_DR_AGENT_CHANGE_TIMEOUT_MS, parsed.VAULT_DR_AGENT_TIMEOUT_MS),
      agentReturnMs: parsed.VAULT_DR_AGENT_RETURN_MS,
      fleetTimeoutMs: parsed.VAULT_DR_FLEET_TIMEOUT_MS,
      verifyTimeoutMs: parsed.VAULT_DR_VERIFY_TIMEOUT_MS,
      defaultTokenTtl: parsed.VAULT_DR_TOKEN_TTL,
      tokenMinRemainingMs: parsed.VAULT_DR_TOKEN_MIN_REMAINING_MS,
      gatewayId: parsed.VAULT_DR_GATEWAY_ID,
      leaseMs: parsed.VAULT_DR_LEASE_MS,
      maxRunning: parsed.VAULT_DR_MAX_RUNNING_HANDSHAKES,
      hooks: { caPem: parsed.VAULT_DR_HOOK_CACERT?.pem, timeoutMs: parsed.VAULT_DR_HOOK_TIMEOUT_MS },
    },
    pairs: {
      drTokenTtl: parsed.VAULT_DR_OPERATION_TOKEN_TTL,
      drTokenMinRemainingS: ttlSeconds(parsed.VAULT_DR_OPERATION_TOKEN_MIN_REMAINING),
      upkeepMs: parsed.VAULT_DR_PAIRS_UPKEEP_MS,
      fenceCheckMs: parsed.VAULT_DR_FENCE_CHECK_MS,
      autoFailoverBlockMs: ttlSeconds(parsed.VAULT_DR_AUTO_FAILOVER_BLOCK) * 1000,
      primaryContactMs: parsed.VAULT_DR_PRIMARY_CONTACT_MS,
    },
  }
}
