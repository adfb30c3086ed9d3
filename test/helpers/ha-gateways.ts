import { setTimeout as sleep } from 'node:timers/promises'
import type { Operation, SwitchStack } from '../e2e/switchover-stack.ts'

type Api = SwitchStack['gateways'][number]['api']

/** The stack's gateway ids: `gateways[i]` runs as `gateway-${i + 1}`. */
export const gatewayId = (index: number) => `gateway-${index + 1}`

/**
 * Which gateway holds an operation's lease, read from etcd itself (its JSON gateway on any member that answers): the
 * operation's record under the gateway's default prefix, `/vault-dr/operations/<id>`, has `lease_owner`
 * ("<gateway id>/<process id>"). Null when nobody holds it; undefined when no member answered.
 */
export async function leaseHolder(endpoints: string[], id: string): Promise<string | null | undefined> {
  const key = Buffer.from(`/vault-dr/operations/${encodeURIComponent(id)}`).toString('base64')
  for (const endpoint of endpoints) {
    const res = await fetch(`http://${endpoint}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key }),
      signal: AbortSignal.timeout(2_000),
    }).catch(() => undefined)
    if (res?.ok !== true) continue
    const value = ((await res.json()) as { kvs?: Array<{ value?: string }> }).kvs?.[0]?.value
    if (value === undefined) return undefined
    const owner = (JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as { lease_owner: string | null })
      .lease_owner
    return owner === null ? null : (owner.split('/')[0] ?? owner)
  }
  return undefined
}

/** The index in `stack.gateways` of the gateway holding the operation, once one holds it. */
export async function holderIndex(stack: SwitchStack, id: string, timeoutMs = 20_000): Promise<number> {
  const endpoints = stack.etcd?.endpoints ?? []
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const holder = await leaseHolder(endpoints, id)
    const index = stack.gateways.findIndex((_, i) => gatewayId(i) === holder)
    if (index >= 0) return index
    if (Date.now() > deadline) throw new Error(`no gateway held operation ${id} within ${timeoutMs} ms (${holder})`)
    await sleep(25)
  }
}

/** Polls one gateway until the operation satisfies `done` (default: finished). */
export async function waitOn(
  api: Api,
  id: string,
  done: (op: Operation) => boolean = (op) => ['succeeded', 'failed', 'cancelled'].includes(op.state),
  timeoutMs = 60_000,
): Promise<Operation> {
  const deadline = Date.now() + timeoutMs
  let last: Operation | undefined
  while (Date.now() < deadline) {
    const res = await api.GET('/v1/operations/{id}', { params: { path: { id } } }).catch(() => undefined)
    if (res?.data) {
      last = res.data
      if (done(last)) return last
    }
    await sleep(25)
  }
  throw new Error(`operation ${id} not done within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`)
}

/** The gateway's log lines about one operation, parsed (pino JSON). */
export function logOf(lines: string[], id: string): Array<Record<string, unknown>> {
  return lines
    .filter((l) => l.includes(id))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>
      } catch {
        return { msg: l }
      }
    })
}

/** The log line of a gateway that resumed `step` of the operation, found running in the store, if it did. */
export function resumedStep(lines: string[], id: string, step: string): Record<string, unknown> | undefined {
  return logOf(lines, id).find((l) => l.step === step && l.detail === 'resumed after a restart')
}
