import { describe, expect, it } from 'vitest'
import type { ClusterStatus, VaultTokenCheck } from '../src/agents/agent-types.ts'
import { AUTH, createHandshake, waitFor } from './helpers/gateway.ts'
import { useRegisteredGateway } from './helpers/gateway-fixture.ts'

type Check = { name: string; status: string; code: string; detail: string; fix: string | null; source: string }

const missingSudo: VaultTokenCheck = {
  name: 'vault_token',
  status: 'fail',
  code: 'MISSING_CAPABILITY',
  detail:
    "the agent's Vault token cannot do what its operations need: sys/replication/dr/primary/secondary-token lacks sudo",
  fix: 'Add to the token\'s policy: path "sys/replication/dr/primary/secondary-token" { capabilities = ["create", "update", "sudo"] }.',
  missing: [{ path: 'sys/replication/dr/primary/secondary-token', capability: 'sudo' }],
  expires_at: null,
  renewable: null,
  checked_at: new Date(0).toISOString(),
}

describe('preflight: the agents prove their Vault tokens first', () => {
  const fx = useRegisteredGateway()
  const preflight = async () => {
    const res = await fx.gw.app.inject({
      method: 'POST',
      url: '/v1/preflight',
      headers: AUTH,
      payload: { primary: 'dc1', secondary: 'dc2' },
    })
    expect(res.statusCode, res.body).toBe(200)
    return res.json() as { ok: boolean; checks: Check[] }
  }
  const named = (checks: Check[], name: string) => checks.filter((c) => c.name === name)

  it('shows one vault_token check per side, passing with a whole policy', async () => {
    const run = await preflight()
    expect(run.ok).toBe(true)
    expect(named(run.checks, 'primary_vault_token')).toMatchObject([{ status: 'pass', source: 'primary-agent' }])
    expect(named(run.checks, 'secondary_vault_token')).toMatchObject([{ status: 'pass', source: 'secondary-agent' }])
  })

  it('a token lacking sudo fails preflight naming path and capability, and the handshake changes nothing', async () => {
    fx.world.vaultToken.primary = missingSudo
    const run = await preflight()
    expect(run.ok).toBe(false)
    const [check] = named(run.checks, 'primary_vault_token')
    expect(check).toMatchObject({ status: 'fail', code: 'MISSING_CAPABILITY' })
    expect(check?.detail).toContain('secondary-token lacks sudo')
    const hs = await waitFor(fx.gw.app, (await createHandshake(fx.gw.app)).json().id)
    expect(hs.state).toBe('failed')
    expect(fx.world.calls.filter((c) => /enable|mint|revoke|activate/.test(c))).toEqual([])
    expect(fx.world.primary.mode).toBe('disabled')
  })

  it('an agent that cannot answer the token check fails it, with its code', async () => {
    fx.world.intercept['secondary.vaultToken'] = async () => {
      throw Object.assign(new Error('secondary-agent answered 404'), { code: 'GATEWAY_ERR_AGENT_REJECTED' })
    }
    const run = await preflight()
    expect(named(run.checks, 'secondary_vault_token')).toMatchObject([{ status: 'fail' }])
    expect(run.ok).toBe(false)
  })

  const silentPrimary = (errorCode: string, error: string) => {
    fx.world.intercept['primary.status'] = async (next) => {
      const status = (await next()) as ClusterStatus
      return {
        ...status,
        vault: { ...status.vault, reachable: false, health_code: null, sealed: null, error, error_code: errorCode },
        replication: null,
      }
    }
  }

  it('a primary Vault whose certificate the agent does not trust is said to be so, with no cascade', async () => {
    silentPrimary('VAULT_ERR_TLS', 'GET /v1/sys/health failed: unable to verify the first certificate')
    const run = await preflight()
    const [vault] = named(run.checks, 'primary_vault')
    expect(vault).toMatchObject({ status: 'fail', code: 'VAULT_TLS_UNTRUSTED' })
    expect(vault?.fix).toContain('VAULT_CACERT')
    expect(run.checks.map((c) => c.code)).not.toContain('NO_CLUSTER_ADDR')
    expect(run.checks.map((c) => c.code)).not.toContain('NO_ADVERTISED_ADDR')
    expect(named(run.checks, 'primary_vault_token')).toEqual([])
  })

  it('a primary Vault that hangs is said not to answer, not to check VAULT_ADDR', async () => {
    silentPrimary('VAULT_ERR_TIMEOUT', 'GET /v1/sys/health failed: The operation was aborted due to timeout')
    const run = await preflight()
    const [vault] = named(run.checks, 'primary_vault')
    expect(vault).toMatchObject({ status: 'fail', code: 'VAULT_NOT_ANSWERING' })
    expect(vault?.detail).toContain('did not answer in time')
    expect(vault?.fix).not.toContain('VAULT_ADDR')
    expect(run.checks.some((c) => c.name === 'primary_advertised' || c.name === 'primary_cluster_listener')).toBe(false)
  })
})
