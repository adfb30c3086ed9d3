import { secondaryVersionOrder } from '../dr/vault-versions.ts'
import type { Pair, PairCheck, TokenCheckView } from './pairs.schemas.ts'

export interface ReadinessSettings {
  maxLagWals: number
  /** How old the lag comparison may be before it is only a warning (the statuses are shared reads). */
  maxLagAgeS: number
  /** VAULT_DR_OPERATION_TOKEN_MIN_REMAINING, in seconds. */
  tokenMinRemainingS: number
}

const pass = (id: PairCheck['id'], name: string, detail: string): PairCheck => ({
  id,
  name,
  status: 'pass',
  code: 'OK',
  detail,
  fix: null,
})

const notPass = (
  status: 'warn' | 'fail',
  id: PairCheck['id'],
  name: string,
  code: string,
  detail: string,
  fix: string,
): PairCheck => ({ id, name, status, code, detail, fix })

/** P1: the secondary streams from the primary, seen from both sides. */
function connection(pair: Pair): PairCheck {
  const { primary, secondary } = pair.clusters
  for (const side of [primary, secondary]) {
    if (!side.agent_reachable) {
      return notPass(
        'fail',
        'P1',
        'connection',
        'AGENT_UNREACHABLE',
        // The error's own detail names the agent already ("The agent of dc1 gave no status within 2000 ms").
        (side.error?.detail ?? `The agent of ${side.name} gave no status`).replace(/\.?$/, '.'),
        `Check the agent of ${side.name} runs and the gateway reaches it (vault-dr clusters status ${side.name}).`,
      )
    }
  }
  if (secondary.state !== 'stream-wals' || pair.connection_state !== 'ready') {
    return notPass(
      'fail',
      'P1',
      'connection',
      'NOT_STREAMING',
      `The secondary is in state ${secondary.state ?? 'unknown'}, connection ${pair.connection_state ?? 'unknown'}.`,
      "Check the secondary reaches every primary node's cluster port (8201) and read the secondary's Vault log; a merkle-sync ends by itself. A secondary a failed switchover, drill or failover left following no running primary is re-pointed, without a wipe, by a rejoin naming it (POST /v1/rejoins).",
    )
  }
  if (pair.primary_sees_secondary !== 'connected') {
    return notPass(
      'warn',
      'P1',
      'connection',
      'PRIMARY_SEES_DISCONNECTED',
      `The primary lists secondary id ${pair.secondary_id} as ${pair.primary_sees_secondary ?? 'unknown'}.`,
      "Compare both clusters' sys/replication/dr/status; the primary's view follows heartbeats.",
    )
  }
  return pass('P1', 'connection', 'The secondary streams WALs and the primary lists it connected.')
}

/** P2: estimated data loss, in WALs, and how old that estimate is. */
function lag(pair: Pair, s: ReadinessSettings): PairCheck {
  const { wals, age_s } = pair.lag
  if (wals === null) {
    return notPass(
      'warn',
      'P2',
      'lag',
      'LAG_UNKNOWN',
      'The WAL positions of both clusters could not be compared.',
      'Check both agents answer with a replication status.',
    )
  }
  if (wals > s.maxLagWals) {
    return notPass(
      'fail',
      'P2',
      'lag',
      'LAG_TOO_HIGH',
      `The secondary is ${wals} WALs behind (max_lag_wals ${s.maxLagWals}).`,
      'Wait for the secondary to catch up, or check the bandwidth and latency between the sites; raise max_lag_wals only if that loss is acceptable.',
    )
  }
  if (age_s !== null && age_s > s.maxLagAgeS) {
    return notPass(
      'warn',
      'P2',
      'lag',
      'LAG_STALE',
      `${wals} WALs behind, but compared on statuses ${age_s} s old.`,
      'Ask again; the agents share Vault reads for VAULT_DR_STATUS_CACHE_MS.',
    )
  }
  return pass('P2', 'lag', `${wals} WALs behind (max ${s.maxLagWals}), compared ${age_s ?? 0} s ago.`)
}

/** P3: no merkle corruption. */
function merkle(pair: Pair): PairCheck {
  if (pair.merkle_corrupted === true) {
    return notPass(
      'fail',
      'P3',
      'merkle',
      'MERKLE_CORRUPTED',
      'The secondary reports a corrupted merkle tree.',
      'Run sys/replication/dr/secondary/merkle-check with a DR operation token, then reindex if it confirms.',
    )
  }
  if (pair.merkle_corrupted === null) {
    return notPass(
      'warn',
      'P3',
      'merkle',
      'MERKLE_NOT_REPORTED',
      'The status read does not report corrupted_merkle_tree.',
      'Run sys/replication/dr/secondary/merkle-check with the DR operation token before relying on this secondary.',
    )
  }
  return pass('P3', 'merkle', 'No merkle corruption reported.')
}

/** P4: a DR operation token valid for longer than the minimum, and accepted by the secondary. */
function drToken(pair: Pair, check: TokenCheckView | null, s: ReadinessSettings): PairCheck[] {
  const token = pair.dr_operation_token
  const rotate = `Issue a new one: vault-dr dr-token rotate ${pair.secondary}`
  const batchUsable = token !== null && Date.parse(token.expires_at) > Date.parse(pair.checked_at)
  if (!batchUsable && pair.dr_ceremony_token !== null) {
    return [
      pass(
        'P4',
        'dr_token',
        `A key-share ceremony token (no TTL) made at ${pair.dr_ceremony_token.created_at} is kept.`,
      ),
    ]
  }
  if (token === null) {
    return [
      notPass(
        'fail',
        'P4',
        'dr_token',
        'DR_TOKEN_MISSING',
        'vault-dr keeps no DR operation token for this primary.',
        `${rotate}; the upkeep issues one once the pair streams.`,
      ),
    ]
  }
  const checks: PairCheck[] = []
  if (Date.parse(token.expires_at) <= Date.parse(pair.checked_at)) {
    checks.push(
      notPass(
        'fail',
        'P4',
        'dr_token',
        'DR_TOKEN_EXPIRED',
        `The DR operation token expired at ${token.expires_at}.`,
        `${rotate}, and check the primary agent answers.`,
      ),
    )
  } else if (
    token.primary_cluster_id !== null &&
    pair.clusters.primary.replication_cluster_id !== null &&
    token.primary_cluster_id !== pair.clusters.primary.replication_cluster_id
  ) {
    checks.push(
      notPass(
        'fail',
        'P4',
        'dr_token',
        'DR_TOKEN_OTHER_PRIMARY',
        "The DR operation token was issued by another replication set than the primary's current one.",
        rotate,
      ),
    )
  } else if (token.remaining_s < s.tokenMinRemainingS) {
    checks.push(
      notPass(
        'warn',
        'P4',
        'dr_token',
        'DR_TOKEN_EXPIRING',
        `The DR operation token expires in ${token.remaining_s} s (minimum ${s.tokenMinRemainingS} s).`,
        `${rotate}; if rotation fails, check the primary agent answers (it must be reachable to issue tokens).`,
      ),
    )
  } else {
    checks.push(pass('P4', 'dr_token', `A DR operation token is valid until ${token.expires_at}.`))
  }
  if (check === null) return checks
  const name = 'dr_token_on_secondary'
  if (check.outcome === 'valid') checks.push(pass('P4', name, check.detail))
  else if (check.outcome === 'invalid')
    checks.push(notPass('fail', 'P4', name, check.code, check.detail, check.fix ?? rotate))
  else
    checks.push(
      notPass('warn', 'P4', name, check.code, check.detail, check.fix ?? 'Check the secondary agent answers.'),
    )
  return checks
}

/** Another DR secondary of the pair's primary, with the Vault version its agent reported (null: unknown). */
export interface FollowerVersion {
  name: string
  version: string | null
}

/**
 * P5: versions that allow failback, and a failover: another DR secondary of the primary older than this one could not
 * follow it once promoted, so a failover plan refuses (VERSION_SKEW); said here, before the primary's site is lost.
 */
function versions(pair: Pair, followers: readonly FollowerVersion[]): PairCheck {
  const base = pairVersions(pair)
  const { secondary } = pair.versions
  const older = followers.filter((f) => (secondaryVersionOrder(f.version, secondary) ?? 0) < 0)
  if (older.length === 0 || base.status === 'fail') return base
  const named = older.map((f) => `${f.name} runs ${f.version}`).join(', ')
  const detail = `A failover to ${pair.secondary} would be refused: ${named}, older than ${pair.secondary}'s ${secondary}, and could not follow it.`
  const fix = `Upgrade ${older.map((f) => f.name).join(' and ')} to ${secondary} or newer (secondaries first, as the upgrade order goes).`
  return base.status === 'pass'
    ? notPass('warn', 'P5', 'versions', 'VERSION_SKEW', detail, fix)
    : { ...base, detail: `${base.detail} ${detail}`, fix: `${base.fix ?? ''} ${fix}`.trim() }
}

function pairVersions(pair: Pair): PairCheck {
  const { primary, secondary } = pair.versions
  if (primary === null || secondary === null) {
    const unknown = [primary === null ? pair.primary : null, secondary === null ? pair.secondary : null]
      .filter((name) => name !== null)
      .join(' and ')
    return notPass(
      'warn',
      'P5',
      'versions',
      'VERSION_UNKNOWN',
      `The Vault version of ${unknown} is unknown.`,
      `Check that ${unknown === pair.primary || unknown === pair.secondary ? `the agent of ${unknown} answers and reaches its Vault` : 'both agents answer and reach their Vaults'} (vault-dr clusters status ${primary === null ? pair.primary : pair.secondary}).`,
    )
  }
  if (primary !== secondary) {
    return notPass(
      'warn',
      'P5',
      'versions',
      'VERSION_SKEW',
      `The primary runs ${primary}, the secondary ${secondary}.`,
      'Run the same Vault version on both: once the newer one is promoted, failing back to the older one may not be possible.',
    )
  }
  return pass('P5', 'versions', `Both clusters run ${primary}.`)
}

/**
 * P6: a fencing plan for the primary should it be cut off: its agent demotes it itself on isolation
 * (VAULT_DR_FENCE_ON_ISOLATION), so a failover never leaves it taking writes beside the new primary. None while the
 * agent's setting is unknown (no status, or an agent before the field).
 */
function oldPrimaryFence(pair: Pair): PairCheck[] {
  const ms = pair.clusters.primary.fence_on_isolation_ms
  if (ms === undefined) return []
  if (ms === null) {
    return [
      notPass(
        'warn',
        'P6',
        'primary_self_fence',
        'NO_SELF_FENCE',
        `${pair.primary}'s agent does not demote it on isolation: a failover while its site is only cut off leaves clients there writing to it until the gateway's fence reaches it (an automatic failover holds).`,
        `Set VAULT_DR_FENCE_ON_ISOLATION on ${pair.primary}'s agent (such as 60s: a failover then waits for it, about 5 s + that + two checks + a restart grace), and point the balancers in front of it at its GET /serving.`,
      ),
    ]
  }
  return [
    pass(
      'P6',
      'primary_self_fence',
      `${pair.primary}'s agent demotes it when cut off for ${Math.round(ms / 1000)} s (VAULT_DR_FENCE_ON_ISOLATION): a failover waits for it.`,
    ),
  ]
}

/** P7: the DR site can run on its own: the secondary is unsealed with an active node. */
function secondaryActive(pair: Pair): PairCheck {
  const s = pair.clusters.secondary
  if (s.sealed !== false || s.vault_reachable !== true) {
    return notPass(
      'fail',
      'P7',
      'secondary_unsealed',
      'SECONDARY_SEALED',
      `The secondary's Vault is ${s.vault_reachable === true ? 'sealed' : 'not reachable from its agent'}.`,
      'Unseal the secondary (or check its auto-unseal KMS is reachable from the DR site).',
    )
  }
  if (s.ha_role !== 'active') {
    return notPass(
      'warn',
      'P7',
      'secondary_unsealed',
      'NO_ACTIVE_NODE',
      `The secondary agent's node is ${s.ha_role ?? 'of unknown role'}.`,
      "Point the secondary agent at the cluster's active node, or check the cluster has one.",
    )
  }
  return pass('P7', 'secondary_unsealed', 'The secondary is unsealed and its agent reaches the active node.')
}

/**
 * P7: the DR site's raft cluster as autopilot reported it to the token check (the same call, with the DR operation
 * token): an unhealthy one may not reach a quorum to promote. None when the check did not get that far.
 */
function secondaryRaft(check: TokenCheckView | null): PairCheck[] {
  const raft = check?.raft ?? null
  if (raft === null) return []
  const tolerance = raft.failure_tolerance === null ? '' : ` (failure tolerance ${raft.failure_tolerance})`
  if (!raft.healthy) {
    return [
      notPass(
        'fail',
        'P7',
        'secondary_raft',
        'RAFT_UNHEALTHY',
        `Autopilot reports the DR site's raft cluster unhealthy${tolerance}: a promote there may not reach a quorum.`,
        "Bring the DR site's raft voters back (vault operator raft autopilot state -dr-token <token> on the secondary names them).",
      ),
    ]
  }
  return [pass('P7', 'secondary_raft', `Autopilot reports the DR site's raft cluster healthy${tolerance}.`)]
}

/** Checks P1-P7 that apply to a pair whose primary is up (P8 traffic is the operator's). */
export function pairChecks(
  pair: Pair,
  tokenCheck: TokenCheckView | null,
  s: ReadinessSettings,
  followers: readonly FollowerVersion[] = [],
): PairCheck[] {
  return [
    connection(pair),
    lag(pair, s),
    merkle(pair),
    ...drToken(pair, tokenCheck, s),
    versions(pair, followers),
    ...oldPrimaryFence(pair),
    secondaryActive(pair),
    ...secondaryRaft(tokenCheck),
  ]
}
