import { setTimeout as sleep } from 'node:timers/promises'
import { CliError, ExitCode } from './exit-codes.ts'
import { type OpenEvents, serverSentEvents } from './gateway-events.ts'
import { FOLLOW_RECONNECT_MS, gatewayUnreachable, mayComeBack, waitBeforeAgainMs } from './gateway-unreachable.ts'
import { type Output, problemOf, sayInterrupted } from './output.ts'
import { renderStep } from './render-handshake.ts'
import { drillFoundFault, type Operation, renderCheckTable, renderOutcome, stepWidth } from './render-operation.ts'

type Step = Operation['steps'][number]

export interface FollowOptions {
  baseUrl: string
  /** How long the stream may stay lost (the gateway restarting, a network blip) before following gives up. */
  reconnectForMs?: number
  /** The gateway answered just before (the create): one that cannot be reached now is waited for. */
  reached?: boolean
  retryEveryMs?: number
}

/** 0 for an operation that succeeded, but for a drill whose report found a fault: it ran and did not pass. */
export const operationExitCode = (op: Operation) =>
  op.state === 'succeeded' && !drillFoundFault(op) ? ExitCode.ok : ExitCode.failed

/**
 * Follows an operation through GET /v1/operations/{id}/events until its `done` event, printing each step as it
 * changes (with --json, one JSON line per event). A lost stream is reopened with Last-Event-ID, so nothing is missed
 * and nothing printed twice; the snapshot sent on each (re)connection prints only what was not printed yet.
 */
export async function followOperation(
  events: OpenEvents,
  out: Output,
  id: string,
  opts: FollowOptions,
  signal: AbortSignal = new AbortController().signal,
): Promise<Operation> {
  const printed = new Map<string, string>()
  let width = 19
  const printStep = (step: Step) => {
    const key = `${step.status}|${step.detail ?? ''}|${step.error?.code ?? ''}`
    if (step.status === 'pending' || printed.get(step.name) === key) return
    printed.set(step.name, key)
    out.out(out.json ? JSON.stringify({ event: 'step', operation: id, step }) : `  ${renderStep(step, width)}`)
  }
  let lastEventId: string | undefined
  let lostSince: number | undefined
  let lastError: unknown
  let announced = false
  const reconnectForMs = opts.reconnectForMs ?? FOLLOW_RECONNECT_MS
  for (;;) {
    try {
      const answer = await events(id, lastEventId, signal)
      if (!('body' in answer)) {
        const problem = problemOf(answer.status, answer.problem, answer.retryAfter)
        // A 4xx (no such operation, a bad token) will not change by asking again; a 429 (too many requests) will.
        if (answer.status < 500 && answer.status !== 429) throw problem
        throw Object.assign(new Error(problem.report.detail), { problem })
      }
      for await (const event of serverSentEvents(answer.body)) {
        lostSince = undefined
        if (event.id !== undefined) lastEventId = event.id
        const data = JSON.parse(event.data) as Record<string, unknown>
        if (event.event === 'snapshot') {
          if (!announced && !out.json) out.out(`following ${data.kind} ${id}`)
          announced = true
          width = stepWidth(data as unknown as Operation)
          for (const step of (data as unknown as Operation).steps) printStep(step)
        } else if (event.event === 'step') {
          printStep(data.step as Step)
        } else if (event.event === 'checks') {
          const notable = ((data.checks ?? []) as Array<{ status: string }>).filter((c) => c.status !== 'pass')
          if (out.json) out.out(JSON.stringify({ event: 'checks', operation: id, checks: data.checks }))
          else if (notable.length > 0) out.out(indent(renderCheckTable(notable as never), '    '))
        } else if (event.event === 'note') {
          if (out.json) out.out(JSON.stringify({ event: 'note', operation: id, ...withoutId(data) }))
          else if (typeof data.warning === 'string') out.out(`    warning: ${data.warning}`)
        } else if (event.event === 'done') {
          const op = data as unknown as Operation
          for (const step of op.steps) printStep(step)
          out.out(out.json ? JSON.stringify({ event: 'finished', operation: op }) : renderOutcome(op))
          return op
        }
      }
      lastError = new Error('the event stream ended before the operation finished')
    } catch (err) {
      if (err instanceof CliError || signal.aborted) throw err
      lastError = (err as { problem?: unknown }).problem ?? err
      if (!mayComeBack(lastError, announced || opts.reached === true)) {
        throw lastError instanceof CliError ? lastError : gatewayUnreachable(lastError, opts.baseUrl)
      }
    }
    if (lostSince === undefined) {
      lostSince = Date.now()
      if (!out.json)
        out.err(`  (the event stream was lost; resuming${lastEventId ? ` after event ${lastEventId}` : ''})`)
    }
    if (Date.now() - lostSince > reconnectForMs) {
      throw lastError instanceof CliError ? lastError : gatewayUnreachable(lastError, opts.baseUrl)
    }
    await sleep(waitBeforeAgainMs(lastError, opts.retryEveryMs ?? 500), undefined, { signal })
  }
}

const withoutId = ({ operation_id: _, ...rest }: Record<string, unknown>) => rest

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n')

/**
 * `--follow` and `operations follow <id>`: follows until the operation finishes and exits 0 when it succeeded, 1 when
 * it failed or was cancelled. Ctrl-C stops following only: the operation goes on in the gateway.
 */
export async function followCommand(events: OpenEvents, out: Output, id: string, opts: FollowOptions) {
  const onInterrupt = () => {
    sayInterrupted(
      out,
      { operation: id },
      `\nstopped following; operation ${id} goes on in the gateway. Attach again: vault-dr operations follow ${id}`,
    )
    process.exit(130)
  }
  process.once('SIGINT', onInterrupt)
  try {
    return operationExitCode(await followOperation(events, out, id, opts))
  } finally {
    process.off('SIGINT', onInterrupt)
  }
}
