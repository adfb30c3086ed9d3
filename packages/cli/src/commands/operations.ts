import type { components } from '@vault-dr/gateway/openapi'
import { ExitCode } from '../exit-codes.ts'
import { followCommand } from '../follow-operation.ts'
import type { Gateway } from '../gateway-client.ts'
import { expectData, type Output } from '../output.ts'
import { type Operation, renderOperation, renderOperationList, subjectLine } from '../render-operation.ts'

export type OperationQuery = {
  kind?: components['schemas']['OperationKind']
  state?: components['schemas']['OperationState']
  cluster?: string
  limit?: number
}

export async function listOperations(gw: Gateway, out: Output, query: OperationQuery) {
  const { operations } = expectData(await gw.api.GET('/v1/operations', { params: { query } }))
  if (out.json) out.out(JSON.stringify(operations))
  else if (operations.length > 0) out.out(renderOperationList(operations))
  else out.out(await noOperations(gw, query))
  return ExitCode.ok
}

/** An empty list said in words, with the filters that emptied it; a cluster filter naming no registered cluster noted. */
async function noOperations(gw: Gateway, query: OperationQuery): Promise<string> {
  const filters = (['kind', 'state', 'cluster'] as const).flatMap((f) =>
    query[f] === undefined ? [] : `${f} ${query[f]}`,
  )
  const line = `no operations${filters.length === 0 ? '' : ` with ${filters.join(', ')}`}`
  if (query.cluster === undefined) return line
  // Operations of a cluster removed since are still listed by its name: only an empty answer is worth this look.
  const { clusters } = expectData(await gw.api.GET('/v1/clusters', { params: { query: { live: 'false' } } }))
  const names = clusters.map((c) => c.name)
  if (names.includes(query.cluster)) return line
  return `${line}; ${query.cluster} is not a registered cluster (registered: ${names.join(', ') || 'none'})`
}

export async function showOperation(gw: Gateway, out: Output, id: string) {
  const op = expectData(await gw.api.GET('/v1/operations/{id}', { params: { path: { id } } }))
  out.out(out.json ? JSON.stringify(op) : renderOperation(op))
  return ExitCode.ok
}

export async function cancelOperation(gw: Gateway, out: Output, id: string) {
  const op = expectData(await gw.api.POST('/v1/operations/{id}/cancel', { params: { path: { id } } }))
  if (out.json) {
    out.out(JSON.stringify(op))
    return ExitCode.ok
  }
  out.out(`${op.kind} ${op.id}: cancel requested (state ${op.state})`)
  if (!['succeeded', 'failed', 'cancelled'].includes(op.state)) {
    out.out(
      op.past_point_of_no_return === undefined
        ? '  whether it stops depends on how far it got (this gateway does not say)'
        : op.past_point_of_no_return
          ? `  it will not stop: it is past its point of no return (now at ${at(op)}), so it runs to a safe end`
          : '  it stops before its next step; nothing past its point of no return has started',
    )
    out.out(`  follow it to its end: vault-dr operations follow ${op.id}`)
  }
  return ExitCode.ok
}

/** The step running now, else the last one that ran. */
function at(op: Operation): string {
  const ran = op.steps.filter((s) => s.started_at !== null)
  return (ran.find((s) => s.status === 'running') ?? ran.at(-1))?.name ?? 'a step'
}

export const followOperationCommand = (gw: Gateway, out: Output, id: string) =>
  followCommand(gw.events, out, id, { baseUrl: gw.baseUrl })

/** After creating an operation: follow it, or print its id and how to follow it. */
export async function startedOperation(gw: Gateway, out: Output, op: Operation, follow: boolean) {
  // The gateway answered the create: a follow that cannot reach it now waits for it to come back.
  if (follow) return followCommand(gw.events, out, op.id, { baseUrl: gw.baseUrl, reached: true })
  out.out(
    out.json
      ? JSON.stringify(op)
      : `${op.kind} ${op.id} ${op.state}: ${subjectLine(op)}\nfollow it with: vault-dr operations follow ${op.id}`,
  )
  return ExitCode.ok
}
