import type { App, CodedError } from '@vault-dr/core'
import { buildApp as buildPrimaryAgent } from '@vault-dr/primary-agent'
import { buildApp as buildSecondaryAgent } from '@vault-dr/secondary-agent'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { describe, expect, it } from 'vitest'
import { createAgentClients } from '../services/gateway/src/agents/agent-clients.ts'
import { loadPrimaryAgentConfig } from '../services/primary-agent/src/config.ts'
import { loadSecondaryAgentConfig } from '../services/secondary-agent/src/config.ts'
import { useClusterFixture } from './helpers/cluster-fixture.ts'

const TOKEN = 'cluster-client-test-token-0123456789abcdef'

const fx = useClusterFixture('cluster-client')
const cluster = fx.cluster

/** An agent listening on loopback, as the gateway reaches it. */
async function listening(build: typeof buildPrimaryAgent, c: ClusterHandle): Promise<{ app: App; url: string }> {
  const dir = await fx.tempDir()
  const env = {
    VAULT_DR_API_TOKEN: TOKEN,
    VAULT_ADDR: c.apiUrl,
    VAULT_TOKEN: c.rootToken,
    VAULT_DR_STATUS_CACHE_MS: '0',
    VAULT_DR_WAIT_TIMEOUT_MS: '10000',
    VAULT_DR_LOG_LEVEL: 'silent',
    VAULT_DR_AGENT_STATE_DIR: dir,
  }
  const app = await build(build === buildPrimaryAgent ? loadPrimaryAgentConfig(env) : loadSecondaryAgentConfig(env))
  fx.defer(() => app.close())
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, url }
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (err: unknown) => err as CodedError,
  )

describe("the gateway's ClusterAgentClient against both agents", () => {
  it('serves every operation on either agent and sends the epoch of mutating calls as x-vault-dr-epoch', async () => {
    const dc1 = await cluster('dc1')
    const dc2 = await cluster('dc2')
    const p = await listening(buildPrimaryAgent, dc1)
    const s = await listening(buildSecondaryAgent, dc2)
    const agents = createAgentClients({ timeoutMs: 5_000, changeTimeoutMs: 15_000 })
    fx.defer(() => agents.close())
    const one = agents.cluster({ cluster: 'dc1', url: p.url, token: TOKEN })
    const two = agents.secondary({ cluster: 'dc2', url: s.url, token: TOKEN })

    expect((await one.enable(undefined, {}, { epoch: 4 })).status.replication?.mode).toBe('primary')
    expect((await one.status()).epoch).toBe(4)
    const stale = await failure(one.mintToken({ secondary_id: 'dc2', ttl: '30m' }, undefined, { epoch: 3 }))
    expect(stale.code).toBe('GATEWAY_ERR_AGENT_REJECTED')
    expect(stale.upstream).toMatchObject({ status: 409, code: 'AGENT_ERR_STALE_EPOCH' })

    const minted = await one.mintToken({ secondary_id: 'dc2', ttl: '30m' }, undefined, { epoch: 4 })
    expect((await two.activate(minted.token, undefined, { epoch: 4 })).activated).toBe(true)
    expect((await two.status()).epoch).toBe(4)
    expect(await one.checkWrites()).toMatchObject({ writable: true, code: null })

    const drToken = await one.createDrOperationToken({}, undefined, { epoch: 4 })
    await until(async () => (await two.status()).replication?.state === 'stream-wals')
    expect((await two.checkDrOperationToken(drToken.token)).valid).toBe(true)
    expect(await two.checkWrites()).toMatchObject({ writable: false, code: 'VAULT_ERR_DR_SECONDARY' })

    // A role change with an older epoch than the agent saw is refused before Vault is touched.
    expect((await failure(one.demote({}, { epoch: 2 }))).upstream?.code).toBe('AGENT_ERR_STALE_EPOCH')
    expect(dc1.state().drMode).toBe('primary')
    expect((await one.demote({}, { epoch: 5 })).changed).toBe(true)

    // Vault refusing the DR operation token is the agent's 403: not "the gateway's agent token was rejected".
    const refused = await failure(two.promote({ dr_operation_token: 'hvb.not-a-real-token-xyz' }, { epoch: 5 }))
    expect(refused.code).toBe('GATEWAY_ERR_AGENT_REJECTED')
    expect(refused.upstream).toMatchObject({ status: 403, code: 'AGENT_ERR_DR_OPERATION_TOKEN_REJECTED' })

    const promoted = await two.promote({ dr_operation_token: drToken.token }, { epoch: 5 })
    expect(promoted.status.replication).toMatchObject({ mode: 'primary', state: 'running' })
    // dc2's own root token went with its data at activation: its write check is refused by Vault.
    expect(await two.checkWrites()).toMatchObject({ writable: false, code: 'VAULT_ERR_PERMISSION_DENIED' })
    const key = await one.generatePublicKey({ epoch: 5 })
    // The agent next to the new primary mints; its Vault token is the old primary's, which DR replicated.
    const dc2AsPrimary = await listening(buildSecondaryAgent, { ...dc2, rootToken: dc1.rootToken })
    const three = agents.cluster({ cluster: 'dc2', url: dc2AsPrimary.url, token: TOKEN })
    const token = await three.mintToken(
      { secondary_id: 'dc1', ttl: '30m', secondary_public_key: key.secondary_public_key },
      undefined,
      { epoch: 5 },
    )
    expect(await three.checkWrites()).toMatchObject({ writable: true })
    const repointed = await one.updatePrimary({ dr_operation_token: drToken.token, token: token.token }, { epoch: 5 })
    expect(repointed.changed).toBe(true)
    expect((await one.status()).epoch).toBe(5)
  })
})

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
