import { describe, expect, it } from 'vitest'
import type { ClusterStatus } from '../src/agents/agent-types.ts'
import { GatewayErrors } from '../src/gateway-errors.ts'
import { createHandshake, registerPair, startGateway, stepStatuses, until, waitFor } from './helpers/gateway.ts'
import { useGatewayFixture } from './helpers/gateway-fixture.ts'

type Gateway = Awaited<ReturnType<typeof startGateway>>
const SETTLING = 'GATEWAY_ERR_SECONDARY_SETTLING'
const never = () => new Promise<never>(() => {})

describe('a secondary still bootstrapping is neither activated nor has its id revoked (fake agents)', () => {
  const fx = useGatewayFixture()

  async function start(deps: Parameters<typeof startGateway>[1] = {}) {
    const gw = await startGateway(
      fx.path,
      { agents: fx.world.clients(), ...deps },
      { VAULT_DR_VERIFY_TIMEOUT_MS: '300' },
    )
    fx.gateways.push(gw)
    return gw
  }
  const bootstrapping = () => {
    fx.world.secondary.mode = 'bootstrapping'
    fx.world.calls.length = 0
  }
  const changes = () => fx.world.calls.filter((c) => /revoke|mint|activate/.test(c))

  /** A first gateway runs a handshake up to `step` and stops there, as if it had crashed; returns its id. */
  async function stopBefore(step: string): Promise<string> {
    const holder: { gw?: Gateway } = {}
    let stopped: Promise<void> | undefined
    holder.gw = await startGateway(fx.path, {
      agents: fx.world.clients(),
      stopGraceMs: 0,
      hooks: {
        beforeStep: (_id, name) => {
          if (name !== step) return
          stopped = holder.gw?.app.close()
          return never()
        },
      },
    })
    await registerPair(holder.gw.app)
    const id = (await createHandshake(holder.gw.app)).json().id as string
    await until(() => stopped !== undefined, 'the first gateway to stop')
    await stopped
    return id
  }

  it('on resume, fails activate_secondary with a coded error when bootstrapping outlasts the wait', async () => {
    const id = await stopBefore('activate_secondary')
    bootstrapping()
    const hs = await waitFor((await start()).app, id)
    expect(hs.state).toBe('failed')
    expect(hs.error?.code).toBe(SETTLING)
    expect(hs.steps.find((s) => s.name === 'activate_secondary')).toMatchObject({
      status: 'failed',
      error: { code: SETTLING },
    })
    expect(hs.error?.detail).toContain('left secondary id dc2 alone: the secondary is still bootstrapping')
    expect(hs.error?.fix).toContain('wait until the secondary agent reports a DR mode again')
    expect(changes()).toEqual([])
    expect(hs.token?.mints).toBe(1)
  })

  it('within one run, a secondary someone else starts activating is refused by its agent; nothing is revoked', async () => {
    const gw = await start({
      hooks: { beforeStep: (_id, step) => (step === 'activate_secondary' ? bootstrapping() : undefined) },
    })
    await registerPair(gw.app)
    const hs = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(hs.state).toBe('failed')
    expect(hs.error?.code).toBe('SECONDARY_ERR_ALREADY_SECONDARY')
    expect(hs.error?.detail).toContain('left secondary id dc2 alone: the secondary is still bootstrapping')
    expect(changes()).toEqual(['secondary.activate'])
    expect(fx.world.activations).toBe(0)
  })

  it('after a restart, never revokes and re-mints the id the secondary is bootstrapping with', async () => {
    const id = await stopBefore('inspect_token')
    // Meanwhile someone hands the token over by hand: the secondary bootstraps with dc2.
    fx.world.secondaryId = 'dc2'
    bootstrapping()
    const hs = await waitFor((await start()).app, id)
    expect(hs.state).toBe('failed')
    expect(stepStatuses(hs)).toMatchObject({ inspect_token: 'failed', activate_secondary: 'skipped' })
    expect(hs.error?.code).toBe(SETTLING)
    expect(changes()).toEqual([])
    expect([...fx.world.knownSecondaries]).toEqual(['dc2'])
  })

  it('never revokes the id when an activation goes unanswered and the secondary then cannot report its DR status', async () => {
    // Real Vault is unavailable while an activation bootstraps: its agent reads neither health nor DR status.
    let unreadable = false
    // The clock runs past the token's expiry while the activation is unaccounted for.
    let skewMs = 0
    fx.world.intercept['secondary.activate'] = async () => {
      fx.world.secondaryId = 'dc2'
      fx.world.secondary.mode = 'bootstrapping'
      unreadable = true
      skewMs = 60 * 60_000
      // The agent's own call to Vault timed out: Vault may activate all the same.
      for (const [key] of fx.world.activationStates) fx.world.activationStates.set(key, 'failed')
      fx.world.activationMayHaveActivated = true
      throw GatewayErrors.agentTimeout('the secondary agent did not answer within its deadline')
    }
    fx.world.intercept['secondary.status'] = async (next) => {
      const status = (await next()) as ClusterStatus
      if (!unreadable) return status
      return {
        ...status,
        vault: { ...status.vault, reachable: false, health_code: null, error: 'connection refused' },
        replication: null,
      }
    }
    const gw = await start({ now: () => Date.now() + skewMs })
    await registerPair(gw.app)
    const hs = await waitFor(gw.app, (await createHandshake(gw.app)).json().id)
    expect(hs.state).toBe('failed')
    expect(hs.error?.code).toBe('GATEWAY_ERR_ACTIVATION_UNRESOLVED')
    expect(hs.error?.detail).toContain("the secondary's DR mode is unreadable")
    expect(hs.error?.detail).toContain('left secondary id dc2 alone')
    expect(fx.world.calls).not.toContain('primary.revoke')
    expect([...fx.world.knownSecondaries]).toEqual(['dc2'])
  })

  it('on resume, waits while bootstrapping ends, then verifies instead of activating again', async () => {
    let statusReads = 0
    fx.world.intercept['secondary.status'] = async (next) => {
      if (fx.world.secondary.mode === 'bootstrapping' && ++statusReads === 2) {
        fx.world.secondary = {
          ...fx.world.secondary,
          mode: 'secondary',
          state: 'stream-wals',
          clusterId: fx.world.primary.clusterId,
        }
        fx.world.peers.add('dc2')
        fx.world.connected.add('dc2')
      }
      return next()
    }
    const id = await stopBefore('activate_secondary')
    // The first gateway sent the activation just before it stopped: the secondary bootstraps with dc2.
    fx.world.secondaryId = 'dc2'
    bootstrapping()
    const hs = await waitFor((await start()).app, id)
    expect(hs.state, JSON.stringify(hs.steps)).toBe('succeeded')
    expect(hs.steps.find((s) => s.name === 'activate_secondary')?.detail).toContain('not activated again')
    expect(changes()).toEqual([])
  })
})
