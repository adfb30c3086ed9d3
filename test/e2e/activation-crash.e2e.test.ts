import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { allOutput } from '../helpers/child-service.ts'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { createHandshake, waitForHandshake } from '../helpers/handshakes.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import type { VaultGate } from '../helpers/vault-gate.ts'

const secrets: string[] = []
let stack: E2EStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

const ENABLE_PATH = '/v1/sys/replication/dr/secondary/enable'

async function until(what: string, ready: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(2)
  }
}

const events = (s: E2EStack, text: string) => s.simEvents.filter((e) => e.includes(text)).length

/**
 * Moments inside the activation, each reached by watching what the agent and the emulated clusters do once the
 * secondary's enable call was let through the gate (Vault answering in `latencyMs` from then on); `reach` resolves at
 * that moment and returns what to do once the process is killed.
 */
const MOMENTS: Record<string, (s: E2EStack, gate: VaultGate, latencyMs: number) => Promise<() => void>> = {
  'before Vault receives the call': async (_s, gate) => () => gate.release(),
  'while Vault unwraps on the primary': async (s, gate) => {
    gate.release()
    // The secondary has sent the unwrap; the primary answers it only after the latency.
    await until('the secondary asks the primary to unwrap', () => events(s, 'unwrapping the activation token') > 0)
    expect(events(s, 'replication: secondary dc2 connected')).toBe(0)
    return () => {}
  },
  'while it bootstraps over the cluster port': async (s, gate) => {
    gate.release()
    await until('the secondary dials the primary', () => events(s, 'replication: secondary dc2 connected') > 0)
    return () => {}
  },
  'after Vault answered': async (s, gate) => {
    gate.release()
    await until('Vault activated the secondary', () => events(s, 'enabled as secondary') > 0)
    return () => {}
  },
}

async function activationStack(gatewayEnv: Record<string, string> = {}): Promise<E2EStack> {
  const s = await startE2EStack({ vaultGates: true, gatewayEnv })
  secrets.push(...s.secrets)
  return s
}

/**
 * Starts a handshake and holds the secondary's enable call at its gate; only then do both clusters answer slowly
 * (the steps before run at full speed), and it resolves at `moment` of the activation.
 */
async function reachMoment(s: E2EStack, moment: string, latencyMs: number, tokenTtl?: string) {
  const gate = s.vaultGates?.secondary
  if (gate === undefined) throw new Error('needs vaultGates')
  gate.hold((path) => path === ENABLE_PATH)
  const { id } = await createHandshake(s, tokenTtl === undefined ? {} : { token_ttl: tokenTtl })
  await gate.waiting()
  await until('the agent says it activates', () =>
    s.secondaryAgent.output.some((l) => l.includes('activating this cluster as a DR secondary')),
  )
  for (const cluster of [s.primary, s.secondary]) cluster.faults.setLatency(latencyMs)
  const reach = MOMENTS[moment]
  if (reach === undefined) throw new Error(`no moment ${moment}`)
  return { id, after: await reach(s, gate, latencyMs) }
}

/**
 * Exactly once: succeeded, one activation, the secondary streaming with its one id; by default also one mint and no
 * revocation (a token that provably never reached Vault is revoked and minted anew).
 */
async function expectActivatedOnce(s: E2EStack, id: string, tokens = { mints: 1, revokes: 0 }) {
  const done = await waitForHandshake(s, id, undefined, 60_000)
  expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
  expect(s.secondary.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc2' })
  expect(events(s, 'enabled as secondary')).toBe(1)
  expect(events(s, 'issued an activation token')).toBe(tokens.mints)
  expect(events(s, 'revoked secondary')).toBe(tokens.revokes)
  // No second token for the id waits unused on the primary: the one it knows is the live, connected secondary.
  expect(s.primary.state().knownSecondaries).toEqual(['dc2'])
  expect(s.primary.state().connectedSecondaries).toEqual(['dc2'])
  // Every question about an activation reached the agent's getActivation (none refused or routed nowhere).
  const asked = allOutput.filter((l) => l.includes('/v1/dr/secondary/activations/'))
  expect(asked.filter((l) => !l.includes('"status_code":200'))).toEqual([])
  return done
}

describe.each([150, 500])('SIGKILL inside activate_secondary, Vault answering in %i ms', (latencyMs) => {
  it.each(Object.keys(MOMENTS))('of the gateway %s: activated exactly once', async (moment) => {
    stack = await activationStack()
    const { id, after } = await reachMoment(stack, moment, latencyMs)
    await stack.gateway.stop('SIGKILL')
    after()
    await stack.restartGateway('SIGKILL')
    await expectActivatedOnce(stack, id)
  })
})

describe('SIGKILL of the secondary agent inside activate_secondary, then a restart', () => {
  const sent = Object.keys(MOMENTS).filter((m) => m !== 'before Vault receives the call')
  it.each(sent)('%s: activated exactly once', async (moment) => {
    stack = await activationStack()
    const { id, after } = await reachMoment(stack, moment, 150)
    await stack.secondaryAgent.stop('SIGKILL')
    after()
    await stack.restartSecondaryAgent('SIGKILL')
    const done = await expectActivatedOnce(stack, id)
    expect(done.steps.find((s) => s.name === 'activate_secondary')?.detail).toContain('activated as DR secondary dc2')
  })
})

describe('SIGKILL of the secondary agent before its call reached Vault', () => {
  it('waits until the token can no longer activate anything, then mints anew and activates once', async () => {
    // The restarted agent cannot know what its earlier process sent, and the secondary shows nothing while Vault
    // unwraps: only the token's expiry proves no activation is under way. A short TTL keeps the wait short.
    stack = await activationStack({
      VAULT_DR_TOKEN_MIN_REMAINING_MS: '2000',
      // The wait after expiry is the longer of the two agent timeouts: both short.
      VAULT_DR_AGENT_CHANGE_TIMEOUT_MS: '4000',
      VAULT_DR_AGENT_TIMEOUT_MS: '4000',
    })
    const { id } = await reachMoment(stack, 'before Vault receives the call', 150, '8s')
    await stack.secondaryAgent.stop('SIGKILL')
    // The call dies with the agent: Vault never gets it (whether a proxy would still pass it on is a race).
    stack.vaultGates?.secondary.drop()
    await stack.restartSecondaryAgent('SIGKILL')
    const done = await expectActivatedOnce(stack, id, { mints: 2, revokes: 1 })
    expect(done.steps.find((s) => s.name === 'activate_secondary')?.detail).toContain('activated as DR secondary dc2')
  })
})
