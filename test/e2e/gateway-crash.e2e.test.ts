import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { createHandshake, waitForHandshake } from '../helpers/handshakes.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'

const secrets: string[] = []
let stack: E2EStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

const STEPS = ['preflight', 'enable_primary', 'mint_token', 'inspect_token', 'activate_secondary', 'verify'] as const

describe('SIGKILL of the gateway in the middle of a step, then a restart', () => {
  it.each(STEPS)('during %s: the handshake completes exactly once', async (step) => {
    // Slow Vault answers keep each step running long enough to be interrupted.
    stack = await startE2EStack({ latencyMs: 150 })
    secrets.push(...stack.secrets)
    const { id } = await createHandshake(stack)
    await waitForHandshake(stack, id, (h) => h.steps.find((s) => s.name === step)?.status === 'running', 30_000)
    await stack.restartGateway('SIGKILL')

    const done = await waitForHandshake(stack, id)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(stack.secondary.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals', secondaryId: 'dc2' })
    expect(stack.simEvents.filter((e) => e.includes('enabled as secondary'))).toHaveLength(1)
    // Any token minted before the crash and not used was revoked: the primary knows only the live secondary.
    expect(stack.primary.state().knownSecondaries).toEqual(['dc2'])
    expect(stack.primary.state().connectedSecondaries).toEqual(['dc2'])
  })
})
