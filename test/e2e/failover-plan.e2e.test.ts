import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { createHandshake, waitForHandshake } from '../helpers/handshakes.ts'
import { lagAsIs } from '../helpers/lag-as-is.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'

let stack: E2EStack

type Body = { to: string; down_for?: string; allow_data_loss?: boolean }
async function plan(body: Body) {
  const res = await stack.gatewayApi.POST('/v1/failovers/plan', { body: body as never })
  if (!res.data) throw new Error(`planFailover answered ${res.response.status}: ${JSON.stringify(res.error)}`)
  return res.data
}
const item = (p: Awaited<ReturnType<typeof plan>>, name: string) => p.items.find((i) => i.name === name)

beforeAll(async () => {
  stack = await startE2EStack()
  expect((await waitForHandshake(stack, (await createHandshake(stack)).id)).state).toBe('succeeded')
  const rotated = await stack.gatewayApi.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', {
    params: { path: { secondary: 'dc2' } },
  })
  expect(rotated.response.status).toBe(200)
}, 90_000)

afterAll(async () => {
  await stack?.close()
  expectNoSecretsInLogs(stack?.secrets ?? [])
})

describe('planFailover', () => {
  it('refuses a healthy primary with "use a switchover", and changes nothing', async () => {
    const p = await plan({ to: 'dc2' })
    expect(p.primary).toBe('dc1')
    expect(p.primary_verdict).toBe('healthy')
    expect(p.allowed).toBe(false)
    expect(p.refusal?.code).toBe('PRIMARY_HEALTHY')
    expect(p.refusal?.fix).toContain('switchover')
    expect(p.vantage_points.map((v) => [v.point, v.reaches])).toEqual([
      ['gateway', true],
      ['primary_agent', true],
      ['secondary_agent', true],
      ['secondary_vault', true],
    ])
    expect(p.dr_operation_token.source).toBe('kept')
    expect(p.steps).toEqual([
      'preflight',
      'promote_secondary',
      'fence_old_primary',
      'verify_new_primary',
      'new_dr_operation_token',
      'record_pairs',
    ])
    expect(p.pair.clusters.primary.mode).toBe('primary')
  })

  it('shows a partition (the DR site cut off, the primary up) as healthy from the gateway, and refuses', async () => {
    await stack.primary.faults.closeClusterListener()
    try {
      const secondaryVault = async () =>
        (await plan({ to: 'dc2', down_for: '1s' })).vantage_points.find((v) => v.point === 'secondary_vault')?.reaches
      await expect.poll(secondaryVault, { timeout: 30_000, interval: 500 }).toBe(false)
      const p = await plan({ to: 'dc2', down_for: '1s' })
      expect(p.primary_verdict).toBe('healthy')
      expect(p.allowed).toBe(false)
      expect(p.refusal?.code).toBe('PRIMARY_HEALTHY')
      expect(p.refusal?.detail).toContain('partition')
    } finally {
      await stack.primary.faults.reopenClusterListener()
    }
    await expect.poll(async () => (await plan({ to: 'dc2' })).pair.connection_state, { timeout: 15_000 }).toBe('ready')
  })

  it("sees the primary's site lost only once down_for has passed, and needs allow_data_loss for the WALs the secondary lacks", async () => {
    const lag = async () => lagAsIs((await plan({ to: 'dc2' })).pair.lag, stack.primary, stack.secondary)
    await expect.poll(lag, { timeout: 10_000 }).toBe(0)
    // The stream stops first, then the primary takes three writes the secondary never gets, then the site is lost.
    await stack.primary.faults.closeClusterListener()
    for (let i = 0; i < 3; i++) stack.primary.faults.write()
    const lastWal = stack.primary.state().lastWal
    // No plan reads the pair from here: only the gateway's keeping-in-touch reads of the primary (every 3 s) see
    // those writes. Counted from the earlier plan's reading instead, the loss was 0, as the secondary had heard
    // from the primary after that reading.
    await sleep(4_000)
    await stack.primary.faults.isolate('refuse')
    await stack.primaryAgent.stop('SIGKILL')

    const early = await plan({ to: 'dc2', down_for: '1h' })
    expect(early.primary_verdict).toBe('not_down')
    expect(early.allowed).toBe(false)
    expect(early.refusal?.code).toBe('PRIMARY_NOT_DOWN')
    expect(early.vantage_points.find((v) => v.point === 'gateway')?.reaches).toBe(false)
    expect(early.vantage_points.find((v) => v.point === 'primary_agent')?.reaches).toBeNull()
    expect(early.vantage_points.find((v) => v.point === 'secondary_agent')?.reaches).toBe(false)

    await expect
      .poll(async () => (await plan({ to: 'dc2', down_for: '2s' })).primary_verdict, { timeout: 20_000 })
      .toBe('down')
    const down = await plan({ to: 'dc2', down_for: '2s' })
    expect(down.data_loss).toMatchObject({ wals: 3, primary_last_wal: lastWal })
    expect(down.allowed).toBe(false)
    expect(down.refusal?.code).toBe('DATA_LOSS')
    expect(down.refusal?.fix).toContain('allow_data_loss')

    const knowingly = await plan({ to: 'dc2', down_for: '2s', allow_data_loss: true })
    expect(knowingly.allowed).toBe(true)
    expect(item(knowingly, 'data_loss')?.status).toBe('warn')
    expect(knowingly.fencing.join(' ')).toContain('epoch')
    expect(JSON.stringify(knowingly)).not.toMatch(/"token":/)
  })
})
