import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { createHandshake, waitForHandshake } from '../helpers/handshakes.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'

const secrets: string[] = []
let stack: E2EStack | undefined
afterEach(() => stack?.close())
afterAll(() => expectNoSecretsInLogs(secrets))

describe("a box in front of the primary's cluster port (8201)", () => {
  it('that terminates TLS stops the handshake at preflight with that diagnosis; nothing minted, the secondary untouched', async () => {
    stack = await startE2EStack({ middlebox: 'tls-terminating' })
    secrets.push(...stack.secrets)
    const done = await waitForHandshake(stack, (await createHandshake(stack)).id)
    expect(done.state).toBe('failed')
    const failedStep = done.steps.find((s) => s.status === 'failed')
    expect(failedStep?.name).toMatch(/preflight|enable_primary/)
    expect(done.steps.find((s) => s.name === 'mint_token')?.status).toMatch(/pending|skipped/)
    const diagnosis = done.checks.find((c) => c.code === 'TLS_TERMINATED')
    expect(diagnosis?.status).toBe('fail')
    expect(`${diagnosis?.detail} ${diagnosis?.fix}`).toContain('configure TCP passthrough on 8201')
    expect(stack.primary.state().knownSecondaries).toEqual([])
    expect(stack.simEvents.some((e) => e.includes('issued an activation token'))).toBe(false)
    expect(stack.secondary.state().drMode).toBe('disabled')
  })

  it('that passes TCP through lets the handshake succeed', async () => {
    stack = await startE2EStack({ middlebox: 'tcp-passthrough' })
    secrets.push(...stack.secrets)
    const done = await waitForHandshake(stack, (await createHandshake(stack)).id)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(stack.secondary.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals' })
    // The secondary reached the primary through the box, the address the primary advertises.
    expect(stack.secondary.state().drStatus.known_primary_cluster_addrs).toContain(stack.middlebox?.url)
  })
})
