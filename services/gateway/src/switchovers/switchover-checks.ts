import { z } from 'zod'
import type { ClusterStatus } from '../agents/agent-types.ts'
import { secondaryVersionOrder } from '../dr/vault-versions.ts'
import type { DrTokenInfo } from '../dr-operation-tokens/token-custody.ts'
import { clusterIdOf, isRunningPrimary } from '../role-changes/cluster-roles.ts'

export const SwitchoverCheck = z
  .object({
    name: z.string(),
    status: z.enum(['pass', 'warn', 'fail']),
    code: z.string().describe('OK, or the diagnosis'),
    detail: z.string(),
    fix: z.string().nullable(),
  })
  .meta({ id: 'SwitchoverCheck' })
export type SwitchoverCheck = z.infer<typeof SwitchoverCheck>

/** One cluster as the gateway could read it. */
export interface Side {
  name: string
  status?: ClusterStatus | undefined
  /** Why no status: the agent's code and message. */
  error?: string | undefined
}

export interface CheckInput {
  from: Side
  to: Side
  /** The secondary id `to` streams with, as `from` knows it. */
  toSecondaryId: string | null
  /** Other clusters of the same replication set, and registered secondaries of `from` that gave no status. */
  others: Side[]
  /** Secondary ids `from` knows that no registered cluster is paired as (left following a demoted primary). */
  unknownSecondaries?: string[] | undefined
  /** The DR operation token the gateway keeps for `from`, if any. */
  token: DrTokenInfo | null
  /** How long the operation may take at most, in seconds: the token must outlive it. */
  neededS: number
  /** How many WALs behind `to` may be before the demote (the wait after it is bounded by catch_up_timeout). */
  maxLagWals: number
  /** Why `to` is fenced (a failover's fence in the store, or its agent's), when it is: promoted, it is demoted again. */
  toFenced?: string | undefined
  /**
   * Why `from` is fenced, when it is: a primary failed away from (another cluster was promoted), or one its own agent
   * fenced; whatever it still says of itself, it is not the primary to switch over from.
   */
  fromFenced?: string | undefined
  /** A drill: it switches back, so `to`, demoted then, must be able to follow `from` again. */
  roundTrip?: boolean | undefined
}

const pass = (name: string, detail: string): SwitchoverCheck => ({
  name,
  status: 'pass',
  code: 'OK',
  detail,
  fix: null,
})
const check = (name: string, status: 'warn' | 'fail', code: string, detail: string, fix: string): SwitchoverCheck => ({
  name,
  status,
  code,
  detail,
  fix,
})

/**
 * A connection Vault reports as not ready: it can go on showing stream-wals for a primary it lost (P3); an older Vault
 * reports no connection_state (null), which says nothing.
 */
const lostConnection = (connectionState: string | null) => connectionState !== null && connectionState !== 'ready'

/**
 * The checks before a switchover, from what was read (pure): `from` a running DR primary, `to` its streaming DR
 * secondary close behind, no corruption, versions that allow the way back (the demoted primary must be able to follow
 * the promoted one: not older), every other secondary reachable to be re-pointed, a DR operation token that outlives
 * the operation (or can be issued now).
 */
export function switchoverChecks(i: CheckInput): SwitchoverCheck[] {
  const out: SwitchoverCheck[] = []
  const f = i.from.status
  const t = i.to.status
  if (f === undefined) {
    out.push(
      check(
        'from_primary',
        'fail',
        'UNREACHABLE',
        `${i.from.name}: ${i.from.error ?? 'no status'}`,
        'Bring its agent and Vault up: a switchover demotes it first.',
      ),
    )
  } else if (f.vault.sealed === true || f.vault.reachable === false) {
    const sealed = f.vault.sealed === true
    out.push(
      check(
        'from_primary',
        'fail',
        sealed ? 'SEALED' : 'UNREACHABLE',
        `${i.from.name}'s Vault ${sealed ? 'is sealed' : 'does not answer its agent'}: it gives no DR status`,
        sealed
          ? `Unseal ${i.from.name} (vault operator unseal, with its key shares), then try again: a switchover demotes it first.`
          : `Bring ${i.from.name}'s Vault up (its agent reaches it again), then try again: a switchover demotes it first.`,
      ),
    )
  } else if (!isRunningPrimary(f)) {
    out.push(
      check(
        'from_primary',
        'fail',
        'NOT_DR_PRIMARY',
        `${i.from.name} is in DR mode ${f.replication?.mode ?? 'unknown'}, state ${f.replication?.state ?? 'unknown'}`,
        'Name as `from` the running DR primary of `to` (or leave `from` out).',
      ),
    )
  } else out.push(pass('from_primary', `${i.from.name} is a running DR primary`))

  if (t === undefined) {
    out.push(
      check(
        'to_streams',
        'fail',
        'UNREACHABLE',
        `${i.to.name}: ${i.to.error ?? 'no status'}`,
        'Bring its agent and Vault up: it becomes the primary.',
      ),
    )
  } else {
    const r = t.replication
    const fromSet = f === undefined ? null : clusterIdOf(f)
    const sameSet = fromSet !== null && fromSet === clusterIdOf(t)
    const known = f?.replication?.known_secondaries.includes(i.toSecondaryId ?? '') === true
    if (r?.mode === 'secondary' && fromSet === null) {
      // `from` gives no DR status (sealed, unreachable): whether `to` follows it cannot be told, nor denied.
      out.push(
        check(
          'to_streams',
          'fail',
          'UNKNOWN',
          `${i.to.name} is a DR secondary; whether it streams from ${i.from.name} cannot be told while ${i.from.name} gives no DR status`,
          `Mend ${i.from.name} first (from_primary says how), then try again.`,
        ),
      )
    } else if (r?.mode !== 'secondary' || !sameSet) {
      out.push(
        check(
          'to_streams',
          'fail',
          'NOT_A_PAIR',
          `${i.to.name} is in DR mode ${r?.mode ?? 'unknown'}${sameSet ? '' : `, not in ${i.from.name}'s replication set`}`,
          `Name as \`to\` a DR secondary of ${i.from.name} (GET /v1/pairs).`,
        ),
      )
    } else if (r.state !== 'stream-wals' || !known || lostConnection(r.connection_state)) {
      const connection = lostConnection(r.connection_state) ? ` with connection_state ${r.connection_state}` : ''
      out.push(
        check(
          'to_streams',
          'fail',
          'NOT_STREAMING',
          `${i.to.name} is in state ${r.state ?? 'unknown'}${connection}${known ? '' : `, and ${i.from.name} does not list its id ${i.toSecondaryId ?? '(none)'}`}`,
          'Wait until it streams WALs (GET /v1/pairs/{secondary}); a switchover never promotes a secondary that is not in sync.',
        ),
      )
    } else out.push(pass('to_streams', `${i.to.name} streams WALs from ${i.from.name} as ${i.toSecondaryId}`))
    if (r?.corrupted_merkle_tree === true) {
      out.push(
        check(
          'merkle_tree',
          'fail',
          'MERKLE_CORRUPTED',
          `${i.to.name} reports a corrupted merkle tree`,
          'Run merkle-check and reindex the secondary before promoting it.',
        ),
      )
    }
    const behind =
      f?.replication?.last_wal != null && r?.last_remote_wal != null ? f.replication.last_wal - r.last_remote_wal : null
    if (behind !== null && behind > i.maxLagWals) {
      out.push(
        check(
          'lag',
          'warn',
          'LAGGING',
          `${i.to.name} is ${behind} WALs behind`,
          'The wait after the demote may take long (catch_up_timeout bounds it): switch over when it is closer.',
        ),
      )
    } else if (behind !== null) out.push(pass('lag', `${i.to.name} is ${Math.max(0, behind)} WALs behind`))
  }

  if (i.toFenced !== undefined) {
    out.push(
      check(
        'to_fenced',
        'fail',
        'FENCED',
        `${i.to.name} is fenced (${i.toFenced}): its agent demotes it whenever it is a DR primary, so promoted it would leave no primary`,
        `When a failover fenced it, rejoin it first (vault-dr rejoin ${i.to.name}): a rejoin that finishes ends the fence. When its own agent fenced it on isolation and no failover took place, clear that fence on its agent (clearFence) once it is a DR secondary, then switch over.`,
      ),
    )
  }

  if (i.fromFenced !== undefined) {
    out.push(
      check(
        'from_fenced',
        'fail',
        'FENCED',
        `${i.from.name} is fenced (${i.fromFenced}): it is not the DR primary to switch over from, whatever it reports of itself`,
        `Switch over from the running DR primary (leave body/from out: the gateway finds it), and rejoin ${i.from.name} as its DR secondary (vault-dr rejoin ${i.from.name}).`,
      ),
    )
  }

  // `to` becomes the primary and the demoted `from` its secondary.
  const cmp = secondaryVersionOrder(f?.vault.version, t?.vault.version)
  if (cmp !== undefined) {
    if (cmp < 0) {
      out.push(
        check(
          'versions',
          'fail',
          'VERSION_SKEW',
          `${i.to.name} runs Vault ${t?.vault.version}, newer than ${i.from.name}'s ${f?.vault.version}: the demoted ${i.from.name} could not follow it`,
          `Upgrade ${i.from.name} to ${t?.vault.version} first.`,
        ),
      )
    } else if (cmp > 0) {
      const newer = `${i.from.name} runs Vault ${f?.vault.version}, newer than ${i.to.name}'s ${t?.vault.version}`
      out.push(
        i.roundTrip === true
          ? check(
              'versions',
              'fail',
              'VERSION_SKEW',
              `${newer}: on the way back the demoted ${i.to.name} could not follow ${i.from.name}`,
              `Upgrade ${i.to.name} to ${f?.vault.version} first: a drill switches back, so both must run the same version.`,
            )
          : check(
              'versions',
              'warn',
              'VERSION_SKEW',
              `${newer}: switching back will need ${i.to.name} upgraded`,
              `Upgrade ${i.to.name} before switching back.`,
            ),
      )
    } else out.push(pass('versions', `both run Vault ${f?.vault.version}`))
  }

  for (const o of i.others) {
    if (o.status === undefined) {
      out.push(
        check(
          `follower:${o.name}`,
          'fail',
          'UNREACHABLE',
          `${o.name} (a DR secondary of ${i.from.name}) gave no status: ${o.error ?? 'no answer'}`,
          `Bring it up, or deregister it (DELETE /v1/clusters/${o.name}): it could not be re-pointed and would be left following a demoted primary.`,
        ),
      )
    } else {
      // It follows `to` (a drill's way back needs `from` and `to` alike, as the versions check says).
      const older = (secondaryVersionOrder(o.status.vault.version, t?.vault.version) ?? 0) < 0
      out.push(
        older
          ? check(
              `follower:${o.name}`,
              'fail',
              'VERSION_SKEW',
              `${o.name} runs Vault ${o.status.vault.version}, older than ${i.to.name}'s ${t?.vault.version}: re-pointed to it, it could not follow`,
              `Upgrade ${o.name} to ${t?.vault.version} or newer first.`,
            )
          : pass(`follower:${o.name}`, `${o.name} will follow ${i.to.name} (update-primary, no wipe)`),
      )
    }
  }

  if ((i.unknownSecondaries ?? []).length > 0) {
    out.push(
      check(
        'unknown_secondaries',
        'warn',
        'UNKNOWN_SECONDARIES',
        `${i.from.name} also has DR secondaries no registered cluster is paired as: ${i.unknownSecondaries?.join(', ')}; they are not re-pointed`,
        `Register them and pair them (a handshake), or re-point them by hand afterwards (generate-public-key, secondary-token with that key on ${i.to.name}, update-primary).`,
      ),
    )
  }

  if (i.token === null) {
    out.push(
      check(
        'dr_operation_token',
        'warn',
        'NO_TOKEN',
        `the gateway keeps no DR operation token for ${i.from.name} yet`,
        'The preflight step asks the primary agent for one; it fails if the agent cannot issue it.',
      ),
    )
  } else if (i.token.remaining_s < i.neededS) {
    out.push(
      check(
        'dr_operation_token',
        'warn',
        'TOKEN_TOO_SHORT',
        `the kept DR operation token has ${i.token.remaining_s} s left, the operation may take ${i.neededS} s`,
        'The preflight step has a new one issued first.',
      ),
    )
  } else
    out.push(pass('dr_operation_token', `a DR operation token valid ${i.token.remaining_s} s (needed: ${i.neededS} s)`))
  return out
}
