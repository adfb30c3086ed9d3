import { z } from 'zod'
import { isCodedError } from '../errors.ts'
import type { VaultClient } from '../vault/vault-client.ts'

/** What sys/health says about one Vault node, in our stable shape. */
export const VaultNodeHealth = z
  .object({
    reachable: z.boolean(),
    address: z.string(),
    health_code: z.number().int().nullable().describe("sys/health's HTTP status (472 is normal on a DR secondary)"),
    initialized: z.boolean().nullable(),
    sealed: z.boolean().nullable(),
    version: z.string().nullable(),
    enterprise: z.boolean().nullable(),
    ha_role: z.enum(['active', 'standby', 'performance_standby', 'unknown']),
    cluster_name: z.string().nullable(),
    cluster_id: z.string().nullable(),
    dr_mode: z.string().nullable(),
    last_wal: z
      .number()
      .int()
      .nullable()
      .optional()
      .describe("sys/health's last_wal (active, unsealed Enterprise nodes): a demoted DR primary still reports it"),
    error: z.string().nullable(),
    error_code: z
      .string()
      .nullable()
      .optional()
      .describe(
        'Why Vault could not be asked: VAULT_ERR_UNREACHABLE (nothing answers), VAULT_ERR_TIMEOUT (it accepted but did not answer: hung or overloaded), VAULT_ERR_TLS (its certificate is not trusted: VAULT_CACERT)...',
      ),
  })
  .meta({ id: 'VaultNodeHealth' })
export type VaultNodeHealth = z.infer<typeof VaultNodeHealth>

/** Every status sys/health uses to describe a node (standby, DR secondary, sealed...): answers, not failures. */
export const HEALTH_ANSWERS = [429, 472, 473, 474, 501, 503, 530]

/**
 * Asks sys/health, accepting every status it uses to describe a node (it is an answer, not a failure). A node that
 * cannot be asked is reported as reachable: false; `onError` receives the Vault client's coded error of why.
 */
export async function readVaultHealth(
  vault: VaultClient,
  onError: (err: unknown) => void = () => {},
): Promise<VaultNodeHealth> {
  try {
    const { status, body } = await vault.read('sys/health', { token: null, accept: HEALTH_ANSWERS })
    const h = (body ?? {}) as Record<string, unknown>
    const version = typeof h.version === 'string' ? h.version : null
    return {
      reachable: true,
      address: vault.addr,
      health_code: status,
      initialized: typeof h.initialized === 'boolean' ? h.initialized : null,
      sealed: typeof h.sealed === 'boolean' ? h.sealed : null,
      version,
      enterprise:
        typeof h.enterprise === 'boolean' ? h.enterprise : version === null ? null : /\+(ent|prem)/.test(version),
      ha_role:
        h.performance_standby === true
          ? 'performance_standby'
          : h.standby === true
            ? 'standby'
            : status === 429
              ? 'standby'
              : h.standby === false
                ? 'active'
                : 'unknown',
      cluster_name: typeof h.cluster_name === 'string' ? h.cluster_name : null,
      cluster_id: typeof h.cluster_id === 'string' ? h.cluster_id : null,
      dr_mode: typeof h.replication_dr_mode === 'string' ? h.replication_dr_mode : null,
      last_wal: typeof h.last_wal === 'number' ? h.last_wal : null,
      error: null,
      error_code: null,
    }
  } catch (err) {
    onError(err)
    return {
      reachable: false,
      address: vault.addr,
      health_code: null,
      initialized: null,
      sealed: null,
      version: null,
      enterprise: null,
      ha_role: 'unknown',
      cluster_name: null,
      cluster_id: null,
      dr_mode: null,
      error: (err as Error).message,
      error_code: isCodedError(err) ? err.code : null,
    }
  }
}
