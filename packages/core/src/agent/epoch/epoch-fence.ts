import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import { z } from 'zod'
import { type ProblemResponse, problemResponse } from '../../problem.ts'
import { type EpochStore, staleEpoch } from './epoch-store.ts'

export const EPOCH_HEADER = 'x-vault-dr-epoch'

/**
 * The operations that change the cluster (or the DR state around it): each is fenced. Checks and probes are not:
 * a stale caller reading is harmless.
 */
export const FENCED_OPERATIONS: ReadonlySet<string> = new Set([
  'enableDrPrimary',
  'createSecondaryToken',
  'revokeSecondary',
  'createDrOperationToken',
  'activateDrSecondary',
  'demoteDrPrimary',
  'promoteDrSecondary',
  'updateDrPrimary',
  'generateDrPublicKey',
  'startDrTokenCeremony',
  'submitDrTokenCeremonyShare',
  'cancelDrTokenCeremony',
  'deleteDrOperationToken',
  'fenceCluster',
  'clearFence',
  'confirmServing',
])

/**
 * Fenced operations a caller cannot make without an epoch: a fence from a stale gateway must not act, nor a role
 * change from a caller that does not say under which epoch it acts (an older gateway, a script): without the header
 * it would go past the fencing a failover raised.
 */
export const EPOCH_REQUIRED_OPERATIONS: ReadonlySet<string> = new Set([
  'fenceCluster',
  'clearFence',
  'confirmServing',
  'demoteDrPrimary',
  'promoteDrSecondary',
  'updateDrPrimary',
])

const epochHeader = (required: boolean) =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? "is required: the fencing epoch of the call (at least the agent's status field epoch)"
          : undefined,
    })
    .regex(/^\d{1,15}$/, 'must be a non-negative whole number in digits')
    .describe(
      'The fencing epoch the caller acts under (the gateway store bumps it at every role change). Lower than the ' +
        'highest this agent has seen: refused (409 AGENT_ERR_STALE_EPOCH). Higher: recorded on disk before acting. ' +
        (required ? 'Required by this call.' : 'Absent: not fenced.'),
    )
const EpochHeaders = z.looseObject({ [EPOCH_HEADER]: epochHeader(false).optional() })
const RequiredEpochHeaders = z.looseObject({ [EPOCH_HEADER]: epochHeader(true) })

const STALE = 'the x-vault-dr-epoch header is lower than the highest this agent has seen (AGENT_ERR_STALE_EPOCH)'

function with409(existing: ProblemResponse | undefined): ProblemResponse {
  if (existing === undefined) return problemResponse(`The call is fenced off: ${STALE}`)
  return { ...existing, description: `${existing.description}; or ${STALE}` }
}

/** The fencing epoch a request carries; undefined when it carries none (validated by the route's header schema). */
export function callEpoch(request: FastifyRequest): number | undefined {
  const raw = request.headers[EPOCH_HEADER]
  return typeof raw === 'string' ? Number(raw) : undefined
}

/**
 * A call admitted under `epoch` that a higher one overtook before it acted (admitted while this call read its
 * cluster, or waited for the role change before it): refused as stale, as its admission would refuse it now.
 */
export function overtakenEpoch(store: Pick<EpochStore, 'current'>, epoch: number | undefined): Error | undefined {
  return epoch === undefined ? undefined : staleEpoch(epoch, store.current())
}

/**
 * Fences every operation in FENCED_OPERATIONS with the epoch header: documented on the route, checked after the
 * request is validated and before the handler acts. Install on the root instance before the routes are registered.
 */
export function installEpochFence(app: FastifyInstance, store: EpochStore): void {
  const fence = async (request: FastifyRequest) => {
    const epoch = callEpoch(request)
    if (epoch !== undefined) await store.admit(epoch)
  }
  app.addHook('onRoute', (route: RouteOptions) => {
    const operationId = (route.schema as { operationId?: string } | undefined)?.operationId
    if (operationId === undefined || !FENCED_OPERATIONS.has(operationId) || route.schema === undefined) return
    const response = (route.schema.response ?? {}) as Record<string, unknown>
    route.schema = {
      ...route.schema,
      headers: EPOCH_REQUIRED_OPERATIONS.has(operationId) ? RequiredEpochHeaders : EpochHeaders,
      response: { ...response, 409: with409(response[409] as ProblemResponse | undefined) },
    }
    route.preHandler = [...[route.preHandler ?? []].flat(), fence]
  })
}
