import { setTimeout as sleep } from 'node:timers/promises'
import type { components } from '@vault-dr/gateway/openapi'
import { createOnce } from '../create-once.ts'
import { ExitCode } from '../exit-codes.ts'
import type { GatewayApi } from '../gateway-client.ts'
import { FOLLOW_RECONNECT_MS, mayComeBack, waitBeforeAgainMs } from '../gateway-unreachable.ts'
import { expectData, type Output, sayInterrupted, table } from '../output.ts'
import {
  currentStep,
  notableChecks,
  renderChecks,
  renderError,
  renderHandshake,
  renderStep,
  stepOfError,
} from '../render-handshake.ts'

export type Handshake = components['schemas']['Handshake']
type CreateHandshake = components['schemas']['CreateHandshakeRequestInput']
type PreflightRequest = components['schemas']['PreflightRequestInput']
const FINISHED = new Set(['succeeded', 'failed', 'cancelled'])

export const handshakeExitCode = (h: Handshake) => (h.state === 'succeeded' ? ExitCode.ok : ExitCode.failed)

export async function runPreflight(api: GatewayApi, out: Output, body: PreflightRequest) {
  const result = expectData(await api.POST('/v1/preflight', { body }))
  out.out(out.json ? JSON.stringify(result) : renderChecks(result.checks))
  if (!out.json) out.out(result.ok ? 'preflight passed' : 'preflight failed')
  return result.ok ? ExitCode.ok : ExitCode.failed
}

export async function startHandshake(api: GatewayApi, out: Output, body: CreateHandshake, follow: boolean) {
  const created = expectData(
    await createOnce('handshake', out, (params) => api.POST('/v1/handshakes', { body, params })),
  )
  if (!follow) {
    out.out(
      out.json
        ? JSON.stringify(created)
        : `handshake ${created.id} ${created.state}\nfollow it with: vault-dr handshake follow ${created.id}`,
    )
    return ExitCode.ok
  }
  // The gateway answered the create: a follow that cannot reach it now waits for it to come back.
  return followCommand(api, out, created.id, { reached: true })
}

/**
 * `handshake follow <id>` (and `start --follow`): attaches to a handshake, also one that finished already, until it
 * finishes. Ctrl-C stops following only: the handshake goes on in the gateway, and the message says how to attach
 * again.
 */
export async function followCommand(api: GatewayApi, out: Output, id: string, opts: FollowHandshakeOptions = {}) {
  const onInterrupt = () => {
    sayInterrupted(
      out,
      { handshake: id },
      `\nstopped following; handshake ${id} goes on in the gateway. Attach again: vault-dr handshake follow ${id}`,
    )
    process.exit(130)
  }
  process.once('SIGINT', onInterrupt)
  try {
    return handshakeExitCode(await followHandshake(api, out, id, opts))
  } finally {
    process.off('SIGINT', onInterrupt)
  }
}

export interface FollowHandshakeOptions {
  intervalMs?: number
  /** Sees every read once it is printed (the HA demo kills a gateway from there). */
  onRead?: (h: Handshake) => Promise<void>
  /** Ends the following (a demo stopping: its gateways go away, and following must not wait for them). */
  signal?: AbortSignal
  /** The gateway answered just before (the create): one that cannot be reached now is waited for. */
  reached?: boolean
}

/** Prints each step as it changes until the handshake finishes; with --json, one line per change. */
export async function followHandshake(
  api: GatewayApi,
  out: Output,
  id: string,
  { intervalMs = 150, onRead, signal, reached = false }: FollowHandshakeOptions = {},
): Promise<Handshake> {
  const printed = new Map<string, string>()
  if (!out.json) out.out(`following handshake ${id}`)
  let read = reached
  let lostSince: number | undefined
  for (;;) {
    let h: Handshake
    try {
      h = expectData(await api.GET('/v1/handshakes/{id}', { params: { path: { id } }, ...(signal ? { signal } : {}) }))
      read = true
      lostSince = undefined
    } catch (err) {
      // The gateway restarting or a network blip: read again for up to a minute, as an operation's follow does.
      if (signal?.aborted || !mayComeBack(err, read)) throw err
      if (lostSince === undefined && !out.json) out.err('  (the gateway did not answer; reading again)')
      lostSince ??= Date.now()
      if (Date.now() - lostSince > FOLLOW_RECONNECT_MS) throw err
      await sleep(waitBeforeAgainMs(err, Math.max(intervalMs, 500)), undefined, signal ? { signal } : {})
      continue
    }
    // Stopped while the read was under way (a demo's Ctrl-C): nothing more is printed.
    if (signal?.aborted) throw signal.reason
    for (const step of h.steps) {
      const key = `${step.status}|${step.detail ?? ''}`
      if (step.status === 'pending' || printed.get(step.name) === key) continue
      printed.set(step.name, key)
      if (out.json) {
        out.out(JSON.stringify({ event: 'step', handshake: id, step }))
        continue
      }
      out.out(`  ${renderStep(step)}`)
      // A passed preflight's warnings do not stop the handshake; they are shown once, each with its fix.
      const warnings = notableChecks(h.checks, ['warn'])
      if (step.name === 'preflight' && step.status === 'succeeded' && warnings.length > 0) {
        out.out(indent(renderChecks(warnings), '    '))
      }
    }
    await onRead?.(h)
    if (FINISHED.has(h.state)) {
      out.out(out.json ? JSON.stringify({ event: 'finished', handshake: h }) : renderOutcome(h))
      return h
    }
    await sleep(intervalMs, undefined, signal ? { signal } : {})
  }
}

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n')

function renderOutcome(h: Handshake): string {
  const lines = [`handshake ${h.id} ${h.state}`]
  // Followed, the failed step's line above said the error in full already.
  if (h.error) lines.push(...renderError(h.error, '  ', stepOfError(h.steps, h.error)))
  const failedChecks = h.checks.filter((c) => c.status === 'fail')
  if (failedChecks.length > 0) lines.push(renderChecks(failedChecks))
  return lines.join('\n')
}

export async function showHandshake(api: GatewayApi, out: Output, id: string) {
  const h = expectData(await api.GET('/v1/handshakes/{id}', { params: { path: { id } } }))
  out.out(out.json ? JSON.stringify(h) : renderHandshake(h))
  return ExitCode.ok
}

export async function listHandshakes(api: GatewayApi, out: Output, state: Handshake['state'] | undefined) {
  const query = state === undefined ? {} : { state }
  const { handshakes } = expectData(await api.GET('/v1/handshakes', { params: { query } }))
  if (out.json) {
    out.out(JSON.stringify(handshakes))
    return ExitCode.ok
  }
  const rows = [['ID', 'STATE', 'PRIMARY', 'SECONDARY', 'STEP', 'CREATED']]
  for (const h of handshakes) {
    rows.push([h.id, h.state, h.primary, h.secondary, currentStep(h.steps)?.name ?? '-', h.created_at])
  }
  out.out(table(rows))
  return ExitCode.ok
}

export async function cancelHandshake(api: GatewayApi, out: Output, id: string) {
  const h = expectData(await api.POST('/v1/handshakes/{id}/cancel', { params: { path: { id } } }))
  if (out.json) {
    out.out(JSON.stringify(h))
    return ExitCode.ok
  }
  out.out(`handshake ${h.id}: cancel requested (state ${h.state})`)
  const activation = h.steps.find((s) => s.name === 'activate_secondary')
  if (activation?.status === 'running' || activation?.status === 'succeeded') {
    out.out(
      '  activate_secondary has started (its point of no return: the secondary may be wiped): the handshake runs to its end',
    )
  }
  if (!FINISHED.has(h.state)) out.out(`  see where it stops: vault-dr handshake follow ${h.id}`)
  return ExitCode.ok
}
