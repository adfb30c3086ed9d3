import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { type HookServer, startHookServer } from './switchover-hook-server.ts'
import {
  clusterOf,
  type SwitchStack,
  startSwitchStack,
  startWriteSampler,
  stepOf,
  waitForOperation,
} from './switchover-stack.ts'

const secrets: string[] = []
let stack: SwitchStack | undefined
let hook: HookServer | undefined
afterEach(async () => {
  await stack?.close()
  await hook?.close()
})
afterAll(() => expectNoSecretsInLogs(secrets))

/** Cancels, and answers whether the gateway said the switchover is past its point of no return (will not stop). */
async function cancel(s: SwitchStack, id: string) {
  const res = await s.api.POST('/v1/operations/{id}/cancel', { params: { path: { id } } })
  expect(res.response.status, JSON.stringify(res.error)).toBe(202)
  expect(res.data?.cancel_requested).toBe(true)
  return res.data?.past_point_of_no_return
}

describe('cancelling a switchover', () => {
  it('before the demote: it stops cleanly, nothing changed', async () => {
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    // The pre-hook holds the switchover before the demote until the test has cancelled it.
    hook = await startHookServer(async () => {
      await released
      return { status: 204 }
    })
    stack = await startSwitchStack({ gatewayEnv: { VAULT_DR_HOOK_CACERT: hook.caFile } })
    secrets.push(...stack.secrets)
    const res = await stack.api.POST('/v1/switchovers', {
      body: { to: 'dc2', pre_hook_url: `${hook.url}/pre` } as never,
    })
    const id = res.data?.id as string
    await waitForOperation(stack, id, (op) => stepOf(op, 'pre_hook')?.status === 'running')
    // Said at once: it will stop, nothing past its point of no return having started.
    expect(await cancel(stack, id)).toBe(false)
    release()
    const done = await waitForOperation(stack, id)
    expect(done.state).toBe('cancelled')
    expect(done.error?.detail).toContain('nothing was changed')
    expect(stepOf(done, 'demote_primary')?.status).toBe('skipped')
    expect(stack.simEvents.filter((e) => e.includes('demoted'))).toEqual([])
    expect(clusterOf(stack, 'dc1').state().drMode).toBe('primary')
    expect(clusterOf(stack, 'dc2').state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals' })
    const late = await stack.api.POST('/v1/operations/{id}/cancel', { params: { path: { id } } })
    expect(late.response.status).toBe(409)
  })

  it('after the demote: it runs on to a safe end (one primary, the other following) and says why', async () => {
    stack = await startSwitchStack({ latencyMs: 100 })
    secrets.push(...stack.secrets)
    const sampler = startWriteSampler(stack)
    const res = await stack.api.POST('/v1/switchovers', { body: { to: 'dc2' } as never })
    const id = res.data?.id as string
    await waitForOperation(stack, id, (op) => stepOf(op, 'demote_primary')?.status === 'succeeded')
    // Said at once: past the demote, it will not stop.
    expect(await cancel(stack, id)).toBe(true)
    const done = await waitForOperation(stack, id)
    await sampler.stop()
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(done.cancel_requested).toBe(true)
    expect(done.steps.some((s) => s.detail?.includes('cancel requested after the demote'))).toBe(true)
    expect(clusterOf(stack, 'dc2').state().drMode).toBe('primary')
    expect(clusterOf(stack, 'dc1').state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals' })
    expect(done.result).toMatchObject({ wals_lost: 0 })
    expect(sampler.doubles).toEqual([])
  })
})
