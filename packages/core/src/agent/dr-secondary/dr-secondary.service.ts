import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { isCodedError } from '../../errors.ts'
import { decodeActivationToken } from '../../replication/activation-token.ts'
import { VaultErrors } from '../../vault/vault-errors.ts'
import { redactToken } from '../agent-inputs.ts'
import { type ClusterStatus, statusReadError } from '../cluster-status.ts'
import { SecondaryErrors } from '../secondary-errors.ts'
import { settleAfterChange } from '../settle.ts'
import type { VaultAgent } from '../vault-agent.ts'
import { classifyActivationError } from './activation-errors.ts'
import { ActivationTracker } from './activation-tracker.ts'
import type { ActivateSecondaryRequest, ActivationResult, ActivationState } from './dr-secondary.schemas.ts'

export interface DrSecondaryService {
  activate(request: ActivateSecondaryRequest, log: FastifyBaseLogger): Promise<ActivationResult>
  /** How an activation this agent process was sent stands (in flight, ended, or never seen). */
  activation(activationId: string): ActivationState
}

/** The longest an activation's answer waits for Vault to answer again: the caller's wait for the stream does the rest. */
const ACTIVATION_SETTLE_MAX_MS = 5_000

/** Vault answers its DR status again, as a DR secondary (still bootstrapping, or set up). */
const answersAsDrSecondary = (s: ClusterStatus) =>
  s.vault.reachable && (s.replication?.mode === 'secondary' || s.replication?.mode === 'bootstrapping')

/**
 * Activates the local cluster as a DR secondary, after the guard rails: the wipe must be confirmed, and the cluster
 * must be unsealed and not already in DR. Answers once Vault accepted and answers again; the gateway waits for
 * stream-wals.
 */
export function createDrSecondaryService(
  agent: VaultAgent,
  opts: {
    defaultCaFile?: string | undefined
    /**
     * Deadline of the secondary/enable call: Vault answers it only after unwrapping the token on the primary and
     * fetching the bootstrap package over 8201, so it outlasts an ordinary call (the larger of VAULT_DR_VAULT_TIMEOUT_MS
     * and VAULT_DR_WAIT_TIMEOUT_MS).
     */
    activationTimeoutMs?: number | undefined
    /** VAULT_DR_WAIT_TIMEOUT_MS: bounds the wait for Vault to answer again after the activation (at most 5 s). */
    waitTimeoutMs?: number | undefined
  } = {},
): DrSecondaryService {
  const tracker = new ActivationTracker()
  return {
    activation: (activationId) => tracker.get(activationId),
    async activate(request, log) {
      const running = tracker.inFlight()
      if (running !== undefined) {
        throw SecondaryErrors.activationInProgress(
          `Activation ${running.activation_id} has been in flight since ${running.started_at}: one at a time.`,
        )
      }
      // Refused as asked (no activation at all): before the record of an activation is begun, or replaced.
      const { decoded, unwrapAddr } = checkRequest(request)
      const activationId = request.activation_id ?? `agent-${randomUUID()}`
      // In flight from here until Vault answers, whatever happens to the caller's connection.
      tracker.begin(activationId)
      const call = { sent: false }
      try {
        const result = await activate(request, decoded, unwrapAddr, log, call)
        tracker.end(activationId, null)
        return result
      } catch (err) {
        tracker.end(activationId, failureOf(err, call.sent))
        throw err
      }
    },
  }

  async function activate(
    request: ActivateSecondaryRequest,
    decoded: DecodedToken,
    unwrapAddr: string,
    log: FastifyBaseLogger,
    call: { sent: boolean },
  ): Promise<ActivationResult> {
    agent.invalidateStatus()
    refuseUnlessActivatable(await agent.status())

    log.info(
      { unwrap_addr: unwrapAddr, token_expires_at: new Date(decoded.claims.exp * 1000).toISOString() },
      'activating this cluster as a DR secondary (its data will be wiped)',
    )
    const body = {
      token: request.token,
      ...(request.primary_api_addr === undefined ? {} : { primary_api_addr: request.primary_api_addr }),
      ...caParams(request, opts.defaultCaFile),
    }
    let warnings: string[]
    try {
      call.sent = true
      const res = await agent.vault.write('sys/replication/dr/secondary/enable', body, {
        ...(opts.activationTimeoutMs === undefined ? {} : { timeoutMs: opts.activationTimeoutMs }),
      })
      warnings = (res.body?.warnings ?? []).map((w) => redactToken(w, request.token))
    } catch (err) {
      throw classifyActivationError(err, request.token)
    } finally {
      agent.invalidateStatus()
    }
    // Vault is "unavailable until these tasks and initial sync complete": the answer waits until Vault answers again
    // as a DR secondary, for a moment only (the caller waits for the stream itself); activated either way.
    const settleMs = Math.min(opts.waitTimeoutMs ?? ACTIVATION_SETTLE_MAX_MS, ACTIVATION_SETTLE_MAX_MS)
    const settled = await settleAfterChange(agent, answersAsDrSecondary, settleMs)
    if (settled === undefined) {
      warnings.push(`Vault did not answer as a DR secondary within ${settleMs} ms of the activation: still setting up.`)
    }
    const status = settled ?? (await agent.status())
    log.info(
      { dr_mode: status.replication?.mode ?? null, dr_state: status.replication?.state ?? null },
      'Vault accepted the DR secondary activation',
    )
    return { activated: true, warnings, status }
  }
}

/**
 * What the tracker keeps of a failure: its code, and whether Vault may have activated all the same (the enable call
 * was sent and Vault's answer never came: a timeout, a dropped connection).
 */
function failureOf(err: unknown, sent: boolean): NonNullable<ActivationState['error']> {
  const answered = isCodedError(err) && err.upstream?.service === 'vault' && err.upstream.status !== undefined
  return {
    code: isCodedError(err) ? err.code : 'SECONDARY_ERR_INTERNAL',
    detail: err instanceof Error ? err.message : String(err),
    fix: isCodedError(err) ? (err.fix ?? null) : null,
    may_have_activated: sent && !answered,
  }
}

function refuseUnlessActivatable(status: ClusterStatus): void {
  const { vault, replication } = status
  if (!vault.reachable) {
    // The read's own error says why (unreachable, untrusted certificate, timeout...) and what to fix.
    throw (
      statusReadError(status) ??
      VaultErrors.unreachable(`This cluster's Vault did not answer sys/health: ${vault.error ?? 'unreachable'}`)
    )
  }
  if (vault.sealed === true) throw SecondaryErrors.sealed('This cluster is sealed; activation needs it unsealed.')
  const mode = replication?.mode ?? vault.dr_mode
  if (mode === 'secondary' || mode === 'bootstrapping') {
    const primary =
      replication?.primaries[0]?.api_address ??
      replication?.primary_cluster_addr ??
      replication?.known_primary_cluster_addrs[0] ??
      'unknown'
    throw SecondaryErrors.alreadySecondary(
      `This cluster is already a DR secondary (secondary_id ${replication?.secondary_id ?? 'unknown'}, primary ${primary}, state ${replication?.state ?? 'unknown'}, replication cluster_id ${replication?.cluster_id ?? 'unknown'}).`,
    )
  }
  if (mode === 'primary') {
    throw SecondaryErrors.isPrimary(
      `This cluster is a DR primary (replication cluster_id ${replication?.cluster_id ?? 'unknown'}, secondaries: ${replication?.known_secondaries.join(', ') || 'none'}).`,
    )
  }
}

/** The request's own CA wins; otherwise the configured ca_file, so an operator sets it once per secondary. */
function caParams(request: ActivateSecondaryRequest, defaultCaFile: string | undefined) {
  if (request.ca_file !== undefined) return { ca_file: request.ca_file }
  if (request.ca_pem !== undefined) return { ca_pem: request.ca_pem }
  return defaultCaFile === undefined ? {} : { ca_file: defaultCaFile }
}

type DecodedToken = Extract<ReturnType<typeof decodeActivationToken>, { ok: true }>

/** What the request itself must say for an activation to be tried: the wipe confirmed, an address to unwrap at. */
function checkRequest(request: ActivateSecondaryRequest): { decoded: DecodedToken; unwrapAddr: string } {
  if (request.confirm_wipe !== true) {
    throw SecondaryErrors.wipeNotConfirmed(
      "Activation erases all of this cluster's data, tokens, policies and unseal keys; confirm_wipe must be true.",
    )
  }
  const decoded = decodeActivationToken(request.token)
  if (!decoded.ok) throw new TypeError('activate() got a token the schema should have refused')
  const unwrapAddr = request.primary_api_addr ?? decoded.claims.addr
  if (unwrapAddr === null) {
    throw SecondaryErrors.noPrimaryAddr(
      'The token has no addr claim (the primary has no api_addr) and no primary_api_addr was given.',
    )
  }
  return { decoded, unwrapAddr }
}
