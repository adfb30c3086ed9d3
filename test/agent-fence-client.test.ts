import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CodedError } from '@vault-dr/core'
import { buildApp as buildSecondaryAgent } from '@vault-dr/secondary-agent'
import { type ClusterHandle, startCluster, testTimings } from '@vault-dr/vault-sim'
import { afterEach, describe, expect, it } from 'vitest'
import { createAgentClients } from '../services/gateway/src/agents/agent-clients.ts'
import { loadSecondaryAgentConfig } from '../services/secondary-agent/src/config.ts'

const TOKEN = 'fence-client-test-token-0123456789abcdef'

const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (err: unknown) => err as CodedError,
  )

describe("the gateway's ClusterAgentClient fence calls", () => {
  it('fences through the secondary agent too (its cluster became the primary), shows it in status, and clears', async () => {
    const dc2: ClusterHandle = await startCluster({ name: 'dc2', timings: testTimings })
    closers.push(() => dc2.close())
    const dir = await mkdtemp(join(tmpdir(), 'fence-client-'))
    closers.push(() => rm(dir, { recursive: true, force: true }))
    const app = await buildSecondaryAgent(
      loadSecondaryAgentConfig({
        VAULT_DR_API_TOKEN: TOKEN,
        VAULT_ADDR: dc2.apiUrl,
        VAULT_TOKEN: dc2.rootToken,
        VAULT_DR_STATUS_CACHE_MS: '0',
        VAULT_DR_WAIT_TIMEOUT_MS: '10000',
        VAULT_DR_LOG_LEVEL: 'silent',
        VAULT_DR_AGENT_STATE_DIR: dir,
      }),
    )
    closers.push(() => app.close())
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    const agents = createAgentClients({ timeoutMs: 5_000, changeTimeoutMs: 15_000 })
    closers.push(() => agents.close())
    const agent = agents.cluster({ cluster: 'dc2', url, token: TOKEN })

    await agent.enable(undefined, {}, { epoch: 7 })
    expect((await agent.status()).fenced).toBeNull()
    const stale = await failure(agent.fence({ reason: 'failover to dc1' }, { epoch: 6 }))
    expect(stale.upstream).toMatchObject({ status: 409, code: 'AGENT_ERR_STALE_EPOCH' })

    const fenced = await agent.fence({ reason: 'failover to dc1', failover_id: 'fo-9' }, { epoch: 8 })
    expect(fenced).toMatchObject({ fenced: true, demoted: true, record: { by: 'gateway', epoch: 8 } })
    expect(dc2.state().drMode).toBe('secondary')
    expect((await agent.status()).fenced).toMatchObject({ reason: 'failover to dc1', failover_id: 'fo-9' })
    expect((await agent.status()).epoch).toBe(8)

    expect(await agent.clearFence({ epoch: 8 })).toMatchObject({ cleared: true })
    expect((await agent.status()).fenced).toBeNull()
  })
})
