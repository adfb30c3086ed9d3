import { join } from 'node:path'
import { z } from 'zod'
import { httpUrlVar, pemFileVar } from '../config/env-schemas.ts'
import type { AgentServiceSettings } from '../config/service-config.ts'
import { TokenTtl, ttlSeconds } from './secondary-tokens/secondary-token.schemas.ts'

export const DEFAULT_DR_OPERATION_TOKEN_TTL = '8h'
/** Where an agent keeps its state (the fencing epoch) when VAULT_DR_AGENT_STATE_DIR is unset: under its working dir. */
export const DEFAULT_STATE_DIR_NAME = '.vault-dr-agent'
/** VAULT_DR_SERVING_RECONFIRM_AFTER's default. */
export const DEFAULT_SERVING_RECONFIRM_AFTER_MS = 10_000
/** The shortest VAULT_DR_FENCE_ON_ISOLATION accepted. */
export const MIN_FENCE_ON_ISOLATION_MS = 10_000

/**
 * The variables of the cluster operations both agents serve (the cluster next to either may be the primary or a
 * DR secondary after a role swap), spread into each agent's own environment schema.
 */
export const clusterAgentEnvShape = {
  /** The cluster listener to self-check, when sys/leader's leader_cluster_address is not reachable from here. */
  VAULT_DR_CLUSTER_ADDR: httpUrlVar('must be a URL such as https://127.0.0.1:8201').optional(),
  /** TTL of the batch DR operation tokens this agent issues (createDrOperationToken); a request may ask another. */
  VAULT_DR_OPERATION_TOKEN_TTL: TokenTtl.default(DEFAULT_DR_OPERATION_TOKEN_TTL),
  /** CA that signed the primary's API (8200) certificate, for probes and token lookups from this network. */
  VAULT_DR_PRIMARY_CACERT: pemFileVar.optional(),
  /**
   * A CA bundle path on this cluster's Vault servers, passed to Vault as ca_file on activation (so Vault can verify
   * the primary's API certificate while unwrapping) unless the request brings ca_file or ca_pem.
   */
  VAULT_DR_ACTIVATION_CA_FILE: z.string().startsWith('/', 'must be an absolute path on the Vault server').optional(),
  /**
   * The directory of the agent's state: `epoch`, the highest fencing epoch seen, and `fence` while the cluster is
   * fenced. Default `.vault-dr-agent/<service>`
   * under the working directory; created 0700 on first use. It must survive restarts.
   */
  VAULT_DR_AGENT_STATE_DIR: z.string().min(1, 'must be a directory path').optional(),
  /**
   * Opt-in self-fencing: a DR primary whose every DR secondary is disconnected and whose agent no authenticated
   * request reached, both for longer than this, is demoted by its agent. Unset: off.
   */
  VAULT_DR_FENCE_ON_ISOLATION: z
    .string()
    .regex(/^\d{1,6}[smh]$/, 'must be a duration such as "90s", "2m" or "1h"')
    .transform((d) => ttlSeconds(d) * 1000)
    .refine((ms) => ms >= MIN_FENCE_ON_ISOLATION_MS, 'must be at least 10s: shorter would demote on a brief blip')
    .optional(),
  /**
   * How long the agent's Vault may not answer unsealed before the load balancers' check (getServing) waits for the primary
   * role to be confirmed again (a site that comes back may have been failed away from meanwhile). Default 10s.
   */
  VAULT_DR_SERVING_RECONFIRM_AFTER: z
    .string()
    .regex(/^\d{1,6}[smh]$/, 'must be a duration such as "10s", "2m" or "1h"')
    .transform((d) => ttlSeconds(d) * 1000)
    .refine((ms) => ms >= 1_000, 'must be at least 1s')
    .optional(),
}

/** What the cluster operations need beyond every service's settings; unset fields take their defaults. */
export interface ClusterAgentConfig extends AgentServiceSettings {
  clusterAddr?: string | undefined
  /** VAULT_DR_OPERATION_TOKEN_TTL; DEFAULT_DR_OPERATION_TOKEN_TTL when a caller builds the config without it. */
  drOperationTokenTtl?: string | undefined
  primaryCaPem?: string | undefined
  activationCaFile?: string | undefined
  /** VAULT_DR_AGENT_STATE_DIR; default stateDirFor(the service name). */
  stateDir?: string | undefined
  /** VAULT_DR_FENCE_ON_ISOLATION in ms; undefined: self-fencing is off. */
  fenceOnIsolationMs?: number | undefined
  /** VAULT_DR_SERVING_RECONFIRM_AFTER in ms; DEFAULT_SERVING_RECONFIRM_AFTER_MS when undefined. */
  servingReconfirmAfterMs?: number | undefined
}

type ClusterAgentEnv = z.output<z.ZodObject<typeof clusterAgentEnvShape>>

export function clusterAgentSettings(env: ClusterAgentEnv) {
  return {
    clusterAddr: env.VAULT_DR_CLUSTER_ADDR,
    drOperationTokenTtl: env.VAULT_DR_OPERATION_TOKEN_TTL,
    primaryCaPem: env.VAULT_DR_PRIMARY_CACERT?.pem,
    activationCaFile: env.VAULT_DR_ACTIVATION_CA_FILE,
    stateDir: env.VAULT_DR_AGENT_STATE_DIR,
    fenceOnIsolationMs: env.VAULT_DR_FENCE_ON_ISOLATION,
    servingReconfirmAfterMs: env.VAULT_DR_SERVING_RECONFIRM_AFTER,
  }
}

/** The default state directory of a service: `.vault-dr-agent/<name>` under the working directory. */
export function stateDirFor(serviceName: string, cwd: string = process.cwd()): string {
  return join(cwd, DEFAULT_STATE_DIR_NAME, serviceName)
}
