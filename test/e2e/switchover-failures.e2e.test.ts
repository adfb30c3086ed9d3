import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { type HookServer, startHookServer } from './switchover-hook-server.ts'
import {
  clusterOf,
  kvRead,
  kvWrite,
  type SwitchStack,
  startSwitchStack,
  startWriteSampler,
  stepOf,
  until,
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

const events = (s: SwitchStack, what: string) => s.simEvents.filter((e) => e.includes(what))

describe('a switchover that must not or cannot go on', () => {
  const isPromote = (path: string) => path === '/v1/sys/replication/dr/secondary/promote'

  /** A switchover of dc1 to dc2 whose promote waits at dc2's gate, writes sampled from the start. */
  async function switchoverAtItsPromote() {
    const started = await startSwitchStack({ vaultGates: true })
    stack = started
    secrets.push(...started.secrets)
    const [gate1, gate2] = [started.vaultGates?.dc1, started.vaultGates?.dc2]
    if (gate1 === undefined || gate2 === undefined) throw new Error('the stack has no gates in front of dc1 and dc2')
    const sampler = startWriteSampler(started)
    gate2.hold(isPromote)
    const res = await started.api.POST('/v1/switchovers', { body: { to: 'dc2' } as never })
    await gate2.waiting()
    const [dc1, dc2] = [clusterOf(started, 'dc1'), clusterOf(started, 'dc2')]
    return { stack: started, dc1, dc2, gate1, gate2, sampler, id: res.data?.id as string }
  }

  it('a pre-hook that refuses stops it before anything changes, quoting the hook', async () => {
    hook = await startHookServer(async () => ({ status: 409, text: 'change freeze until 06:00' }))
    stack = await startSwitchStack({ gatewayEnv: { VAULT_DR_HOOK_CACERT: hook.caFile } })
    secrets.push(...stack.secrets)
    const res = await stack.api.POST('/v1/switchovers', {
      body: { to: 'dc2', pre_hook_url: `${hook.url}/pre`, post_hook_url: `${hook.url}/post` } as never,
    })
    const done = await waitForOperation(stack, res.data?.id as string)
    expect(done.state).toBe('failed')
    expect(done.error?.code).toBe('GATEWAY_ERR_HOOK_REFUSED')
    expect(done.error?.detail).toContain('change freeze until 06:00')
    expect(done.error?.detail).toContain('nothing was changed')
    expect(hook.calls).toEqual([
      {
        path: '/pre',
        body: {
          operation_id: done.id,
          kind: 'switchover',
          step: 'pre_hook',
          phase: 'pre',
          clusters: ['dc1', 'dc2'],
          from: 'dc1',
          to: 'dc2',
        },
      },
    ])
    expect(stepOf(done, 'demote_primary')?.status).toBe('skipped')
    expect(events(stack, 'demoted')).toEqual([])
    expect(clusterOf(stack, 'dc1').state().drMode).toBe('primary')
    expect(clusterOf(stack, 'dc2').state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals' })
  })

  it('a post-hook that fails is a warning: the switchover succeeded', async () => {
    hook = await startHookServer(async (call) => (call.path === '/pre' ? { status: 204 } : { status: 503 }))
    stack = await startSwitchStack({ gatewayEnv: { VAULT_DR_HOOK_CACERT: hook.caFile } })
    secrets.push(...stack.secrets)
    const res = await stack.api.POST('/v1/switchovers', {
      body: { to: 'dc2', pre_hook_url: `${hook.url}/pre`, post_hook_url: `${hook.url}/post` } as never,
    })
    const done = await waitForOperation(stack, res.data?.id as string)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(stepOf(done, 'post_hook')?.detail).toContain('warning: post-hook: GATEWAY_ERR_HOOK_REFUSED')
    expect((done.result as { warnings: string[] }).warnings).toEqual([
      expect.stringContaining('post-hook: GATEWAY_ERR_HOOK_REFUSED'),
    ])
    expect(hook.calls.map((c) => c.path)).toEqual(['/pre', '/post'])
    expect(hook.calls[1]?.body.result).toMatchObject({ wals_lost: 0 })
  })

  it('a promote Vault refuses: a clear failure, dc1 promoted back and dc2 following it, never two primaries', async () => {
    const { stack, dc1, dc2, gate2, sampler, id } = await switchoverAtItsPromote()
    // As Vault answers a promote while the secondary is still catching up (fact sheet: 503, this message).
    gate2.refuse(503, ['replication is still catching up, try again later or provide the force argument'])
    const done = await waitForOperation(stack, id)
    await sampler.stop()
    expect(done.state).toBe('failed')
    expect(stepOf(done, 'promote_secondary')?.status).toBe('failed')
    expect(done.error?.detail).toContain('AGENT_ERR_CATCHING_UP')
    expect(done.error?.detail).toContain('undone: dc1 was promoted back')
    expect(dc1.state().drMode).toBe('primary')
    expect(await kvWrite(dc1, stack.rootToken, 'after/refused-promote')).toBe(true)
    await until('dc2 to stream from dc1 again', 10_000, () => dc2.state().drState === 'stream-wals')
    expect(dc2.state()).toMatchObject({ drMode: 'secondary', secondaryId: 'dc2' })
    expect(events(stack, 'promoted to primary')).toHaveLength(1)
    expect(sampler.doubles).toEqual([])
  })

  it('a DR operation token Vault refuses after the demote: the promote back is refused too, no primary is made, and the fix says what to do', async () => {
    const { stack, dc1, dc2, gate1, gate2, sampler, id } = await switchoverAtItsPromote()
    // The token no longer valid once dc1 was demoted (revoked, its policy changed): Vault refuses it on every cluster.
    gate1.hold(isPromote)
    gate2.refuse(403, ['permission denied'])
    await gate1.waiting()
    gate1.refuse(403, ['permission denied'])
    const done = await waitForOperation(stack, id)
    await sampler.stop()
    expect(done.state).toBe('failed')
    expect(stepOf(done, 'promote_secondary')?.status).toBe('failed')
    expect(done.error?.code).toBe('AGENT_ERR_DR_OPERATION_TOKEN_REJECTED')
    expect(done.error?.detail).toContain('undoing it failed too')
    // One plan: no "make a new token on the current primary" (there is none), the ceremony on dc1 instead.
    expect(done.error?.fix).not.toContain('dr-token rotate')
    expect(done.error?.fix).toContain('dc1 is a demoted DR secondary holding every write')
    expect(done.error?.fix).toContain('make one on dc1 with the key-share ceremony')
    expect(dc1.state().drMode).toBe('secondary')
    expect(dc2.state().drMode).toBe('secondary')
    expect(events(stack, 'promoted to primary')).toHaveLength(0)
    expect(sampler.doubles).toEqual([])
  })

  it('a secondary that never catches up: a bounded wait, a clear failure, dc1 promoted back and dc2 following it', async () => {
    let dc1Writes: string[] = []
    // The pre-hook cuts the replication link and writes on dc1 just before the demote: dc2 cannot receive those.
    hook = await startHookServer(async () => {
      const dc1 = clusterOf(stack as SwitchStack, 'dc1')
      await dc1.faults.closeClusterListener()
      dc1Writes = ['cut/0', 'cut/1', 'cut/2']
      for (const path of dc1Writes) await kvWrite(dc1, (stack as SwitchStack).rootToken, path)
      return { status: 204 }
    })
    stack = await startSwitchStack({ gatewayEnv: { VAULT_DR_HOOK_CACERT: hook.caFile } })
    secrets.push(...stack.secrets)
    const [dc1, dc2] = [clusterOf(stack, 'dc1'), clusterOf(stack, 'dc2')]
    const sampler = startWriteSampler(stack)
    const res = await stack.api.POST('/v1/switchovers', {
      body: { to: 'dc2', pre_hook_url: `${hook.url}/pre`, catch_up_timeout: '2s' } as never,
    })
    const id = res.data?.id as string
    const stuck = await waitForOperation(stack, id, (op) => stepOf(op, 'wait_catch_up')?.status === 'failed')
    expect(stepOf(stuck, 'wait_catch_up')?.detail).toMatch(
      /did not catch up with the demoted dc1 within 2000 ms: .*behind/,
    )
    await dc1.faults.reopenClusterListener()
    const done = await waitForOperation(stack, id)
    await sampler.stop()
    expect(done.state).toBe('failed')
    expect(done.error?.code).toBe('GATEWAY_ERR_SWITCHOVER_CATCH_UP_TIMEOUT')
    expect(done.error?.detail).toContain('undone: dc1 was promoted back')
    expect(stepOf(done, 'promote_secondary')?.status).toBe('skipped')
    // Both usable: dc1 the one primary, accepting writes; dc2 its secondary again, with every write.
    expect(dc1.state().drMode).toBe('primary')
    expect(await kvWrite(dc1, stack.rootToken, 'after/undo')).toBe(true)
    await until('dc2 to stream from dc1 again', 10_000, () => dc2.state().drState === 'stream-wals')
    expect(dc2.state()).toMatchObject({ drMode: 'secondary', secondaryId: 'dc2' })
    const lastWal = (dc1.state().drStatus as { last_wal: number }).last_wal
    await until(
      'dc2 to hold every write',
      10_000,
      () => (dc2.state().drStatus as { last_remote_wal: number }).last_remote_wal >= lastWal,
    )
    for (const path of [...dc1Writes, ...(sampler.accepted.dc1 ?? [])])
      expect(await kvRead(dc1, stack.rootToken, path)).toBe(path)
    expect(sampler.accepted.dc2).toEqual([])
    expect(sampler.doubles).toEqual([])
    expect(events(stack, 'promoted to primary')).toHaveLength(1)
  })

  it('an old primary whose re-pointing Vault refused: dc2 the one primary, dc1 left demoted; a rejoin re-points it without a wipe', async () => {
    stack = await startSwitchStack({ vaultGates: true })
    secrets.push(...stack.secrets)
    const [dc1, dc2] = [clusterOf(stack, 'dc1'), clusterOf(stack, 'dc2')]
    const gate = stack.vaultGates?.dc1
    if (gate === undefined) throw new Error('the stack has no gate in front of dc1')
    const sampler = startWriteSampler(stack)
    // Nothing to rejoin yet: dc1 is the healthy primary.
    const early = await stack.api.POST('/v1/rejoins', { body: { cluster: 'dc1' } })
    expect(early.response.status).toBe(409)
    expect(early.error).toMatchObject({ code: 'GATEWAY_ERR_REJOIN_NOT_FENCED' })
    expect(early.error?.detail).toContain('no operation held it')

    gate.hold((path) => path === '/v1/sys/replication/dr/secondary/update-primary')
    const res = await stack.api.POST('/v1/switchovers', { body: { to: 'dc2' } as never })
    await gate.waiting()
    gate.refuse(400, ['error fetching secondary bootstrap package: primary rejected the token'])
    const failed = await waitForOperation(stack, res.data?.id as string)
    expect(failed.state).toBe('failed')
    expect(stepOf(failed, 'rejoin_old_primary')?.status).toBe('failed')
    expect(failed.error?.detail).toContain('dc2 is the DR primary now')
    expect(failed.error?.detail).toContain('vault-dr rejoin')
    expect(dc2.state().drMode).toBe('primary')
    expect(dc1.state()).toMatchObject({ drMode: 'secondary' })
    expect(dc1.state().drState).not.toBe('stream-wals')

    const rejoin = await stack.api.POST('/v1/rejoins', { body: { cluster: 'dc1' } })
    expect(rejoin.response.status).toBe(202)
    const done = await waitForOperation(stack, rejoin.data?.id as string)
    await sampler.stop()
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(done.subject).toMatchObject({ cluster: 'dc1', primary: 'dc2', failover_id: null, left_by: failed.id })
    expect(done.steps.map((s) => [s.name, s.status])).toEqual([
      ['preflight', 'succeeded'],
      ['rejoin_old_primary', 'succeeded'],
      ['record_pair', 'succeeded'],
    ])
    expect(done.result).toMatchObject({ wals_lost: 0 })
    expect(dc1.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc1' })
    const pairs = await stack.api.GET('/v1/pairs')
    expect(pairs.data?.pairs.map((p) => [p.secondary, p.primary])).toEqual([['dc1', 'dc2']])
    const cluster = await stack.api.GET('/v1/clusters/{name}', { params: { path: { name: 'dc1' } } })
    expect(cluster.data?.role).toBe('secondary')
    // Without a wipe: the handshake's activation is the only one; dc1 was re-pointed (the refused attempt never was).
    expect(events(stack, 'enabled as secondary')).toHaveLength(1)
    expect(events(stack, 're-pointed to a new primary')).toEqual([expect.stringMatching(/^dc1: .* as dc1$/)])
    expect(sampler.doubles).toEqual([])

    // Rejoined, nothing is left behind: asked again, refused, naming the newest operation.
    const again = await stack.api.POST('/v1/rejoins', { body: { cluster: 'dc1' } })
    expect(again.response.status).toBe(409)
    expect(again.error?.detail).toContain(`rejoin ${done.id}, succeeded`)
  })

  it('a DR operation token that would expire mid-way is refused before anything changes', async () => {
    stack = await startSwitchStack({ gatewayEnv: { VAULT_DR_OPERATION_TOKEN_TTL: '60s' } })
    secrets.push(...stack.secrets)
    const plan = await stack.api.POST('/v1/switchovers/plan', { body: { to: 'dc2' } as never })
    expect(plan.data?.checks.find((c) => c.name === 'dr_operation_token')?.status).toBe('warn')
    const res = await stack.api.POST('/v1/switchovers', { body: { to: 'dc2' } as never })
    const done = await waitForOperation(stack, res.data?.id as string)
    expect(done.state).toBe('failed')
    expect(done.error?.code).toBe('GATEWAY_ERR_SWITCHOVER_NO_DR_OPERATION_TOKEN')
    expect(done.error?.detail).toMatch(/valid \d+ s, the operation may take \d+ s/)
    expect(done.error?.fix).toContain('VAULT_DR_OPERATION_TOKEN_TTL')
    expect(events(stack, 'demoted')).toEqual([])
    expect(clusterOf(stack, 'dc1').state().drMode).toBe('primary')
  })
})
