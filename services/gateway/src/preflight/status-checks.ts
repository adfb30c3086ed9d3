import type { ClusterStatus } from '../agents/agent-types.ts'
import { describePeer, secondaryIdUse } from '../dr/pair-status.ts'
import { decideSecondaryId, notOursReason } from '../dr/secondary-id-policy.ts'
import { secondaryVersionOrder } from '../dr/vault-versions.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import type { SecondaryIdHistory } from '../store/store.ts'
import type { Check } from './preflight.schemas.ts'
import { primaryClusterAddrVerdict } from './primary-cluster-addr-check.ts'
import { fail, gatewayCheck, pass, type Verdict, warn } from './verdict.ts'

type Side = 'primary' | 'secondary'
/** The secondary streams WALs from this very primary: the handshake has nothing to do. */
export function alreadyReplicating(primary: ClusterStatus, secondary: ClusterStatus): boolean {
  const p = primary.replication
  const s = secondary.replication
  return (
    p?.mode === 'primary' &&
    s?.mode === 'secondary' &&
    s.cluster_id !== null &&
    s.cluster_id === p.cluster_id &&
    s.state === 'stream-wals'
  )
}

function vaultVerdict(side: Side, status: ClusterStatus): Verdict {
  const v = status.vault
  const SIDE = side.toUpperCase()
  if (!v.reachable) return silentVaultVerdict(side, v)
  if (v.initialized === false)
    return fail('NOT_INITIALIZED', `the ${side} Vault is not initialized`, 'Initialize it (vault operator init).')
  if (v.sealed !== false) {
    return fail(
      `${SIDE}_SEALED`,
      `the ${side} Vault is sealed (sys/health ${v.health_code})`,
      `Unseal the ${side} cluster, then retry.`,
    )
  }
  return pass(`Vault ${v.address} answers sys/health ${v.health_code}, unsealed (${v.ha_role})`)
}

/** Why the agent could not read its Vault, told apart: each cause has another fix. */
function silentVaultVerdict(side: Side, v: ClusterStatus['vault']): Verdict {
  const why = v.error ?? 'no answer'
  switch (v.error_code) {
    case 'VAULT_ERR_TLS':
      return fail(
        'VAULT_TLS_UNTRUSTED',
        `the ${side} agent does not trust the TLS certificate of its Vault ${v.address}: ${why}`,
        `Set VAULT_CACERT on the ${side} agent to the PEM file of the CA that signed Vault's API certificate (VAULT_SKIP_VERIFY=true only in a lab), and check VAULT_ADDR uses a name the certificate carries; then restart the agent.`,
      )
    case 'VAULT_ERR_TIMEOUT':
      return fail(
        'VAULT_NOT_ANSWERING',
        `the ${side} agent's Vault ${v.address} did not answer in time: it accepts connections or drops them silently, but does not answer (hung, overloaded, or a firewall drops the traffic): ${why}`,
        `Check the Vault process behind ${v.address} (its log, CPU and storage; a stopped or hung process answers nothing) and the network between the ${side} agent and it. Raise VAULT_DR_VAULT_TIMEOUT_MS on the agent only if Vault is merely slow.`,
      )
    default:
      return fail(
        'VAULT_UNREACHABLE',
        `the ${side} agent cannot reach its Vault ${v.address}: ${why}`,
        `Check VAULT_ADDR of the ${side} agent (${v.address}), that Vault runs and listens there, and that no firewall blocks the port.`,
      )
  }
}

function enterpriseVerdict(side: Side, status: ClusterStatus): Verdict {
  const { enterprise, version } = status.vault
  if (enterprise === true) return pass(`Vault ${version ?? '(version unknown)'} is Enterprise`)
  if (enterprise === false) {
    return fail(
      'NOT_ENTERPRISE',
      `the ${side} runs Vault ${version ?? ''} without Enterprise: DR replication is an Enterprise feature`,
      'Run Vault Enterprise with a licence that includes DR replication.',
    )
  }
  if (status.replication?.mode === 'unknown') {
    return fail(
      'REPLICATION_UNSUPPORTED',
      `the ${side} ${describeMode(status.replication)} and does not say whether it is Enterprise`,
      UNSUPPORTED_FIX,
    )
  }
  return warn('EDITION_UNKNOWN', `the ${side} did not say whether it is Enterprise`, null)
}

type DrStatus = NonNullable<ClusterStatus['replication']>

const UNSUPPORTED_FIX =
  "DR replication needs a storage backend that supports it (Integrated Storage/Raft or Consul) and a licence that includes DR replication: check the storage stanza of this Vault's configuration and sys/license/status. Waiting does not change it."

/** What Vault said about its DR mode when it is none we know, in Vault's own words. */
function describeMode(r: DrStatus): string {
  return r.reported_mode === undefined
    ? 'reports no DR mode (sys/replication/dr/status)'
    : `reports DR mode "${r.reported_mode}" (sys/replication/dr/status)`
}

/**
 * A DR mode outside primary/secondary/bootstrapping/disabled. Vault answers "unsupported" on a storage backend or
 * licence without DR replication (field note 17): no amount of waiting helps, so the fix says what does.
 */
function unknownModeVerdict(side: Side, r: DrStatus): Verdict {
  if (r.reported_mode === 'unsupported') {
    return fail(
      'REPLICATION_UNSUPPORTED',
      `the ${side} ${describeMode(r)}: this Vault cannot replicate, as its storage backend or licence lacks DR replication`,
      UNSUPPORTED_FIX,
    )
  }
  return fail(
    `${side.toUpperCase()}_NOT_READY`,
    `the ${side} ${describeMode(r)}, which is none of primary, secondary, bootstrapping or disabled`,
    `Read sys/replication/dr/status and the Vault log of the ${side}; retry once it reports primary, secondary or disabled.`,
  )
}

/** The secondary must run the primary's version or newer (fact sheet §7.10); newer blocks failback, so it warns. */
export function versionVerdict(primary: ClusterStatus, secondary: ClusterStatus): Verdict {
  const order = secondaryVersionOrder(secondary.vault.version, primary.vault.version)
  const versions = `primary ${primary.vault.version ?? '?'}, secondary ${secondary.vault.version ?? '?'}`
  if (order === undefined) return warn('VERSION_UNKNOWN', `cannot compare versions (${versions})`, null)
  if (order < 0) {
    return fail(
      'VERSION_SKEW',
      `the secondary is older than the primary (${versions}): Vault does not replicate to an older version`,
      'Upgrade the secondary to the primary version or newer first.',
    )
  }
  if (order > 0) {
    return warn(
      'SECONDARY_NEWER',
      `the secondary is newer than the primary (${versions}): after a failover the old primary cannot replicate back until upgraded`,
      'Plan to upgrade the primary to the same version.',
    )
  }
  return pass(`same version (${versions})`)
}

function primaryRoleVerdict(primary: ClusterStatus): Verdict {
  const r = primary.replication
  if (r === null) return warn('DR_STATUS_UNKNOWN', 'the primary agent could not read DR status', null)
  if (r.mode === 'primary') return pass(`already a DR primary (state ${r.state ?? '?'})`)
  if (r.mode === 'disabled') return pass('DR is not enabled yet: enable_primary will enable it', 'DR_NOT_ENABLED')
  if (r.mode === 'secondary') {
    return fail(
      'PRIMARY_IS_DR_SECONDARY',
      'the cluster named as primary is a DR secondary',
      'Name the actual primary, or promote this cluster first.',
    )
  }
  if (r.mode === 'unknown') return unknownModeVerdict('primary', r)
  return fail('PRIMARY_NOT_READY', `the primary's DR mode is ${r.mode}`, 'Wait for the cluster to settle and retry.')
}

function secondaryRoleVerdict(primary: ClusterStatus, secondary: ClusterStatus, allowRepoint: boolean): Verdict {
  const s = secondary.replication
  const p = primary.replication
  if (s === null) return warn('DR_STATUS_UNKNOWN', 'the secondary agent could not read DR status', null)
  if (s.mode === 'unknown') return unknownModeVerdict('secondary', s)
  if (alreadyReplicating(primary, secondary)) {
    return pass(`already streams WALs from this primary as ${s.secondary_id ?? '?'}`, 'ALREADY_REPLICATING')
  }
  if (s.mode === 'disabled') return pass('DR is disabled: activation will wipe this cluster and make it a DR secondary')
  if (s.mode === 'primary') {
    return fail(
      'SECONDARY_IS_DR_PRIMARY',
      'the cluster named as secondary is a DR primary',
      'Demote or disable DR on it first, and check the cluster names.',
    )
  }
  // A demoted or failed-over primary of this set: idle, never given a secondary id or a primary (a secondary that
  // only lost its stream keeps both). Vault refuses to activate a DR secondary; update-primary moves it.
  const demoted = s.state === 'idle' && !s.secondary_id && (s.primaries ?? []).length === 0
  if (s.mode === 'secondary' && s.cluster_id !== null && s.cluster_id === p?.cluster_id && demoted) {
    return fail(
      'SECONDARY_NEEDS_REJOIN',
      "the secondary is a DR secondary of this primary's replication set following no primary (state idle: a demoted or failed-over old primary): a handshake cannot activate it",
      'Re-point it to this primary without a wipe, by a rejoin naming it (POST /v1/rejoins); it also counts the WALs it lost.',
    )
  }
  if (s.mode === 'secondary' && s.cluster_id !== null && s.cluster_id === p?.cluster_id) {
    return pass(
      `already a DR secondary of this primary (state ${s.state ?? '?'}); the handshake will verify it`,
      'SECONDARY_OF_THIS_PRIMARY',
    )
  }
  const primarySetUnknown = p === null || p.mode === 'unknown' || (p.mode === 'primary' && p.cluster_id === null)
  if (s.mode === 'secondary' && primarySetUnknown) {
    // Whose secondary it is cannot be told without the primary's replication set: never "another primary", and
    // no handshake either (it would mint a token Vault then refuses, if it is another set's).
    return fail(
      'DR_STATUS_UNKNOWN',
      `the secondary is a DR secondary (replication set ${s.cluster_id ?? '?'}), and the primary's DR status could not be read: whether it replicates from this primary is unknown`,
      "Make the primary's Vault answer (the primary_vault check says why it does not), then run the preflight again.",
    )
  }
  if (s.mode === 'secondary') {
    // Vault refuses secondary/enable on a DR secondary (path disabled in DR secondary mode), so no activation can
    // move it: a token minted for it would only be spent and revoked.
    const cannot = allowRepoint
      ? '; allow_repoint cannot move it: Vault refuses activation on a DR secondary, and re-pointing takes a DR operation token'
      : ''
    return fail(
      'SECONDARY_REPLICATES_OTHER_PRIMARY',
      `the secondary is a DR secondary of another primary (replication set ${s.cluster_id ?? '?'})${cannot}`,
      'Check the names. To move it to this primary on purpose, re-point it by hand with sys/replication/dr/secondary/update-primary (a DR operation token, and a token minted on this primary), or disable DR on it first; then run the handshake again.',
    )
  }
  return fail(
    'SECONDARY_NOT_READY',
    `the secondary's DR mode is ${s.mode}`,
    'Wait for the cluster to settle and retry.',
  )
}

/**
 * The handshake mints for the id, revoking it first only when no secondary ever used it and a handshake of this
 * gateway minted it: never one in use, nor one minted by hand or activated before.
 */
function secondaryIdVerdict(
  primary: ClusterStatus,
  secondary: ClusterStatus,
  id: string,
  history: SecondaryIdHistory,
): Verdict {
  if (primary.replication === null) return warn('DR_STATUS_UNKNOWN', 'the primary agent could not read DR status', null)
  if (alreadyReplicating(primary, secondary)) return pass('the secondary already replicates: no token will be minted')
  const pair = { primary, secondary }
  const use = secondaryIdUse(pair, id)
  const decision = decideSecondaryId(use, { notOurs: use === 'unused' ? notOursReason(id, false, history) : undefined })
  switch (decision.kind) {
    case 'free':
      return pass(`the primary does not know secondary id ${id}`)
    case 'not_ours':
      return fail(GatewayErrors.secondaryIdNotOurs.code, decision.why, GatewayErrors.secondaryIdNotOurs('').fix ?? '')
    case 'revoke':
      return pass(`the primary holds an unused token for ${id} (an earlier attempt): it is revoked before minting`)
    case 'ours':
      return pass(`the secondary is activated with ${id}: it is verified, not activated again`)
    case 'settling':
      return warn(
        GatewayErrors.secondarySettling.code,
        `the secondary is bootstrapping (perhaps with ${id}) or cannot report its DR status: it is not touched until it settles`,
        null,
      )
    case 'in_use':
      return fail(
        GatewayErrors.secondaryIdInUse.code,
        `another DR secondary of the primary uses ${id} (${describePeer(pair, id)}): the handshake would have to revoke it`,
        GatewayErrors.secondaryIdInUse('').fix ?? '',
      )
  }
}

/** Every check decided from the two clusters' status alone. */
export function statusChecks(
  primary: ClusterStatus,
  secondary: ClusterStatus,
  opts: {
    allowRepoint: boolean
    secondaryId: string
    idHistory: SecondaryIdHistory
    primaryClusterAddr?: string | null | undefined
  },
): Check[] {
  const { allowRepoint, primaryClusterAddr: asked } = opts
  const clusterAddr = asked ? [gatewayCheck('primary_cluster_addr', primaryClusterAddrVerdict(primary, asked))] : []
  return [
    gatewayCheck('primary_vault', vaultVerdict('primary', primary)),
    gatewayCheck('secondary_vault', vaultVerdict('secondary', secondary)),
    gatewayCheck('primary_enterprise', enterpriseVerdict('primary', primary)),
    gatewayCheck('secondary_enterprise', enterpriseVerdict('secondary', secondary)),
    gatewayCheck('version_compatible', versionVerdict(primary, secondary)),
    gatewayCheck('primary_role', primaryRoleVerdict(primary)),
    gatewayCheck('secondary_role', secondaryRoleVerdict(primary, secondary, allowRepoint)),
    gatewayCheck('secondary_id_free', secondaryIdVerdict(primary, secondary, opts.secondaryId, opts.idHistory)),
    ...clusterAddr,
  ]
}
