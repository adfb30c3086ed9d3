import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../src/agents/agent-types.ts'
import type { Check } from '../src/preflight/preflight.schemas.ts'
import { AUTH, createHandshake, stepStatuses, waitFor } from './helpers/gateway.ts'
import { useRegisteredGateway } from './helpers/gateway-fixture.ts'

/** The agent's status of a Vault whose sys/replication/dr/status said "mode": `reported` (one we do not know). */
const reporting = (reported: string) => async (next: () => Promise<unknown>) => {
  const status = (await next()) as ClusterStatus
  if (status.replication === null) return status
  return { ...status, replication: { ...status.replication, mode: 'unknown', reported_mode: reported } }
}

describe('preflight names a DR mode it does not know as Vault reported it', () => {
  const fx = useRegisteredGateway()

  async function preflight(): Promise<{ ok: boolean; checks: Check[] }> {
    const res = await fx.gw.app.inject({
      method: 'POST',
      url: '/v1/preflight',
      headers: AUTH,
      payload: { primary: 'dc1', secondary: 'dc2' },
    })
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }
  const byName = (checks: Check[], name: string) => checks.find((c) => c.name === name)

  it.each([
    ['primary', 'primary_role'],
    ['secondary', 'secondary_role'],
  ] as const)(
    '"unsupported" on the %s: storage backend or licence, not "wait for it to settle"',
    async (side, check) => {
      fx.world.intercept[`${side}.status`] = reporting('unsupported')
      const result = await preflight()
      expect(result.ok).toBe(false)
      const role = byName(result.checks, check)
      expect(role).toMatchObject({ status: 'fail', code: 'REPLICATION_UNSUPPORTED' })
      expect(role?.detail).toContain('reports DR mode "unsupported"')
      expect(role?.fix).toMatch(/storage backend/)
      expect(role?.fix).toMatch(/licence/)
      expect(role?.fix).not.toMatch(/settle/)

      const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
      expect(hs.state).toBe('failed')
      expect(stepStatuses(hs)).toMatchObject({ preflight: 'failed', enable_primary: 'skipped', mint_token: 'skipped' })
      expect(hs.error?.detail).toContain('"unsupported"')
      expect(fx.world.minted).toEqual([])
    },
  )

  it('any other unknown mode is quoted too, with where to look', async () => {
    fx.world.intercept['primary.status'] = reporting('dr-something-new')
    const role = byName((await preflight()).checks, 'primary_role')
    expect(role).toMatchObject({ status: 'fail', code: 'PRIMARY_NOT_READY' })
    expect(role?.detail).toContain('reports DR mode "dr-something-new"')
    expect(role?.fix).toContain('sys/replication/dr/status')
  })
})
