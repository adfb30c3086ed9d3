import { setTimeout as sleep } from 'node:timers/promises'
import {
  type CodedError,
  classifyNetworkError,
  isCodedError,
  redactHeaderValues,
  type UpstreamInfo,
  withDeadline,
} from '@vault-dr/core'
import { GatewayErrors } from '../gateway-errors.ts'
import { stopIfPastLease } from '../operations/lease-watch.ts'

export type AgentService = 'primary-agent' | 'secondary-agent' | 'agent'

export interface CallSpec {
  service: AgentService
  cluster: string
  operation: string
  timeoutMs: number
  /**
   * Only calls that are safe to repeat are retried (reads, probes, enable, demote, revoke, fence...); `also_when_busy`
   * also when the agent answers that a change asked before is still under way (a demote, which reads the cluster again
   * inside the agent's turn). Other busy answers go to the caller, which must read the cluster again first.
   */
  idempotent: boolean | 'also_when_busy'
  signal?: AbortSignal | undefined
}

/** What openapi-fetch resolves with. */
interface FetchResult<T> {
  data?: T
  error?: unknown
  response: Response
}

const RETRIES = 2
const RETRY_BASE_MS = 200

/**
 * One call to an agent with a deadline, retried (idempotent calls only) on transport errors and 502/503, and
 * every failure turned into a GATEWAY_ERR_AGENT_* error that keeps the agent's code in upstream.code.
 */
export async function callAgent<T>(spec: CallSpec, send: (signal: AbortSignal) => Promise<FetchResult<T>>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    // A run whose lease ran out while this process was frozen is ended before its call can go out.
    stopIfPastLease(spec.signal)
    const outcome = await withDeadline(spec.timeoutMs, spec.signal, async (deadline) => {
      try {
        const result = await send(deadline.signal)
        if (result.response.ok) {
          if (result.data === undefined) throw badResponse(spec, result.response.status)
          return { data: result.data }
        }
        return { err: fromProblem(spec, result.response.status, result.error) }
      } catch (thrown) {
        if (spec.signal?.aborted) throw spec.signal.reason
        return { err: isCodedError(thrown) ? thrown : fromTransport(spec, thrown, deadline.expired()) }
      }
    })
    if (!('err' in outcome)) return outcome.data
    const { err } = outcome
    const transient =
      err.code === GatewayErrors.agentUnreachable.code ||
      err.code === GatewayErrors.agentTimeout.code ||
      (spec.idempotent === 'also_when_busy' && err.upstream?.code === 'AGENT_ERR_OPERATION_IN_FLIGHT') ||
      (err.upstream?.status !== undefined && [502, 503].includes(err.upstream.status))
    if (!spec.idempotent || !transient || attempt >= RETRIES) throw err
    await sleep(RETRY_BASE_MS * 2 ** attempt, undefined, spec.signal ? { signal: spec.signal } : undefined)
  }
}

function what(spec: CallSpec): string {
  return `${spec.service} of cluster ${spec.cluster} (${spec.operation})`
}

function fromProblem(spec: CallSpec, status: number, body: unknown): CodedError {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const code = typeof problem.code === 'string' ? problem.code : undefined
  const detail = typeof problem.detail === 'string' ? problem.detail : `HTTP ${status}`
  const nested = problem.upstream as { errors?: unknown } | undefined
  const errors = Array.isArray(nested?.errors) ? nested.errors.filter((e) => typeof e === 'string') : undefined
  const upstream: UpstreamInfo = {
    service: spec.service,
    status,
    ...(code === undefined ? {} : { code }),
    ...(errors === undefined || errors.length === 0 ? {} : { errors }),
  }
  const fix = typeof problem.fix === 'string' ? problem.fix : undefined
  const extra = { upstream, ...(fix === undefined ? {} : { fix }) }
  const text = `${what(spec)} answered ${status}${code === undefined ? '' : ` ${code}`}: ${detail}`
  // Only 401 is about the gateway's agent token; a 403 is Vault refusing something the call carried (a DR
  // operation token: AGENT_ERR_DR_OPERATION_TOKEN_REJECTED), kept as the agent's code.
  if (status === 401) {
    return GatewayErrors.agentUnauthorized(`${what(spec)} rejected the gateway's agent token`, { upstream })
  }
  if (status >= 400 && status < 500) return GatewayErrors.agentRejected(text, extra)
  return GatewayErrors.agentFailed(text, extra)
}

function fromTransport(spec: CallSpec, thrown: unknown, timedOut: boolean): CodedError {
  const net = classifyNetworkError(thrown)
  const upstream: UpstreamInfo = { service: spec.service, code: net.code }
  if (timedOut || net.kind === 'timeout') {
    return GatewayErrors.agentTimeout(`${what(spec)} gave no answer within ${spec.timeoutMs} ms`, {
      upstream,
      cause: thrown,
    })
  }
  // A detail the classification had to redact (a header value it quoted: an agent token no header carries) goes
  // without its cause, which quotes it too and would be logged with it.
  const quotesSecret = causeMessages(thrown).some((m) => redactHeaderValues(m) !== m)
  return GatewayErrors.agentUnreachable(`${what(spec)} could not be reached: ${net.detail}`, {
    upstream,
    ...(quotesSecret ? {} : { cause: thrown }),
  })
}

function causeMessages(err: unknown): string[] {
  const messages: string[] = []
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) messages.push(e.message)
  return messages
}

function badResponse(spec: CallSpec, status: number): CodedError {
  return GatewayErrors.agentBadResponse(`${what(spec)} answered ${status} without a body`, {
    upstream: { service: spec.service, status },
  })
}
