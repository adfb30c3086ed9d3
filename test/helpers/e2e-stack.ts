import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServiceClient } from '@vault-dr/core/service-client'
import type { paths } from '@vault-dr/gateway/openapi'
import {
  type ClusterHandle,
  type Middlebox,
  startCluster,
  startTcpProxy,
  startTlsTerminatingProxy,
} from '@vault-dr/vault-sim'
import { createTestPki } from '../../packages/core/test/helpers/certs.ts'
import { type ChildService, startChildService, startedTogether } from './child-service.ts'
import { freePort } from './free-port.ts'
import { startVaultGate, type VaultGate } from './vault-gate.ts'

export interface E2EOptions {
  /**
   * TLS everywhere: on both clusters' API listeners (generated CAs given to the agents as files), and on the agents
   * and the gateway themselves (certificates of one test CA, which the gateway and this client trust).
   */
  tls?: boolean
  /** A box in front of the primary's cluster port, which the primary then advertises as its cluster address. */
  middlebox?: 'tls-terminating' | 'tcp-passthrough'
  /** Added to every Vault API answer, so steps last long enough to be interrupted. */
  latencyMs?: number
  /** Each agent reaches its cluster's API through a gate that can hold its requests (not with `tls`). */
  vaultGates?: boolean
  /** Added to the gateway's environment (e.g. shorter deadlines). */
  gatewayEnv?: Record<string, string>
  /**
   * Each agent's Vault token, made once its cluster runs (e.g. one holding only part of the README's policy, or a
   * wrong one); default: the cluster's root token.
   */
  agentVaultTokens?: {
    primary?: (c: ClusterHandle) => Promise<string>
    secondary?: (c: ClusterHandle) => Promise<string>
  }
  /** With `tls`: the secondary agent trusts the primary's API for its probes, but gives its Vault no activation CA. */
  noActivationCa?: boolean
  /** With `tls`: the primary agent is not given its Vault's CA (VAULT_CACERT), so it cannot trust that Vault. */
  noPrimaryVaultCa?: boolean
  /** Added to both agents' environment (e.g. a shorter VAULT_DR_VAULT_TIMEOUT_MS). */
  agentEnv?: Record<string, string>
  /** Both clusters' unseal key shares and threshold (default 1 of 1): the key-share ceremony takes the primary's. */
  keyShares?: { shares: number; threshold: number }
}

export interface E2EStack {
  primary: ClusterHandle
  secondary: ClusterHandle
  middlebox: Middlebox | undefined
  /** With `vaultGates`: what stands between each agent and its cluster's API. */
  vaultGates: { primary: VaultGate; secondary: VaultGate } | undefined
  primaryAgent: ChildService
  secondaryAgent: ChildService
  gateway: ChildService
  /** The 0600 file holding the gateway's API token, as an operator's CLI would read it. */
  gatewayTokenFile: string
  gatewayApi: ReturnType<typeof createServiceClient<paths>>['api']
  /** What the emulated clusters did ("dr: enabled as secondary …"), to count activations and mints. */
  simEvents: string[]
  /** Every secret of the run, to search the logs for. */
  secrets: string[]
  /** The API tokens of the gateway and of each agent, to call them directly. */
  apiTokens: { gateway: string; primaryAgent: string; secondaryAgent: string }
  /** Stops the gateway (SIGKILL by default) and starts a new one on the same store. */
  restartGateway(signal?: NodeJS.Signals): Promise<void>
  /** Stops the secondary agent (SIGKILL by default) and starts a new process of it on the same address. */
  restartSecondaryAgent(signal?: NodeJS.Signals): Promise<void>
  close(): Promise<void>
}

const token = () => randomBytes(24).toString('base64url')

async function secretFile(dir: string, name: string, value: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, value, { mode: 0o600 })
  return path
}

/**
 * Two emulated clusters in this process (their faults stay reachable), and the built agents and gateway as child
 * processes, as they run in production. The clusters are registered with the gateway.
 */
export async function startE2EStack(opts: E2EOptions = {}): Promise<E2EStack> {
  const dir = await mkdtemp(join(tmpdir(), 'vault-dr-e2e-'))
  // Closed in reverse: the folder of token files, certificates and the store goes last, once nothing uses it.
  const closers: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })]
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => {})
  }
  try {
    const simEvents: string[] = []
    const logger = (line: string) => simEvents.push(line)
    const timings = { bootstrapMs: 50, merkleDiffMs: 30, merkleSyncMs: 50, heartbeatMs: 100, reconnectMs: 100 }
    const seal = opts.keyShares && { keyShares: opts.keyShares.shares, keyThreshold: opts.keyShares.threshold }
    const clusterPort = await freePort()
    let middlebox: Middlebox | undefined
    if (opts.middlebox) {
      const start = opts.middlebox === 'tcp-passthrough' ? startTcpProxy : startTlsTerminatingProxy
      middlebox = await start({ host: '127.0.0.1', port: clusterPort })
      closers.push(() => middlebox?.close() ?? Promise.resolve())
    }
    const primary = await startCluster({
      name: 'dc1',
      rootToken: token(),
      tls: opts.tls === true,
      clusterAddr: `127.0.0.1:${clusterPort}`,
      ...(middlebox ? { clusterAdvertiseAddr: middlebox.url } : {}),
      timings,
      logger,
      ...seal,
    })
    closers.push(() => primary.close())
    const secondary = await startCluster({
      name: 'dc2',
      rootToken: token(),
      tls: opts.tls === true,
      timings,
      logger,
      ...seal,
    })
    closers.push(() => secondary.close())
    if (opts.latencyMs) {
      primary.faults.setLatency(opts.latencyMs)
      secondary.faults.setLatency(opts.latencyMs)
    }
    if (opts.vaultGates && opts.tls) throw new Error('vault gates forward plain HTTP: not with tls')
    let vaultGates: E2EStack['vaultGates']
    if (opts.vaultGates) {
      vaultGates = { primary: await startVaultGate(primary.apiUrl), secondary: await startVaultGate(secondary.apiUrl) }
      const gates = vaultGates
      closers.push(() => Promise.all([gates.primary.close(), gates.secondary.close()]))
    }

    const tokens = { gateway: token(), primaryAgent: token(), secondaryAgent: token() }
    // Our services' own HTTPS: one CA, one certificate for 127.0.0.1 shared by the three services.
    const pki = opts.tls ? await createTestPki() : undefined
    const serveTls = pki
      ? {
          VAULT_DR_TLS_CERT: await secretFile(dir, 'service-cert.pem', pki.server.certPem),
          VAULT_DR_TLS_KEY: await secretFile(dir, 'service-key.pem', pki.server.keyPem),
        }
      : {}
    const serviceCa = pki?.ca.certPem
    const primaryCa = primary.apiCaPem ? await secretFile(dir, 'primary-ca.pem', primary.apiCaPem) : undefined
    const secondaryCa = secondary.apiCaPem ? await secretFile(dir, 'secondary-ca.pem', secondary.apiCaPem) : undefined
    const vaultTokens = {
      primary: (await opts.agentVaultTokens?.primary?.(primary)) ?? primary.rootToken,
      secondary: (await opts.agentVaultTokens?.secondary?.(secondary)) ?? secondary.rootToken,
    }
    const agentEnv = async (name: string, cluster: ClusterHandle, apiToken: string, ca: string | undefined) => ({
      VAULT_ADDR: (cluster === primary ? vaultGates?.primary : vaultGates?.secondary)?.url ?? cluster.apiUrl,
      VAULT_TOKEN_FILE: await secretFile(
        dir,
        `${name}-vault-token`,
        cluster === primary ? vaultTokens.primary : vaultTokens.secondary,
      ),
      VAULT_DR_API_TOKEN_FILE: await secretFile(dir, `${name}-api-token`, apiToken),
      VAULT_DR_STATUS_CACHE_MS: '100',
      VAULT_DR_PROBE_TIMEOUT_MS: '2000',
      ...(ca ? { VAULT_CACERT: ca } : {}),
      ...opts.agentEnv,
      ...serveTls,
    })
    const primaryAgentEnv = {
      ...(await agentEnv('primary', primary, tokens.primaryAgent, opts.noPrimaryVaultCa ? undefined : primaryCa)),
      // The agent checks its own node's listener directly, not the box in front of it.
      VAULT_DR_CLUSTER_ADDR: `https://127.0.0.1:${clusterPort}`,
    }
    const secondaryAgentEnv = {
      ...(await agentEnv('secondary', secondary, tokens.secondaryAgent, secondaryCa)),
      ...(primaryCa ? { VAULT_DR_PRIMARY_CACERT: primaryCa } : {}),
      ...(primaryCa && !opts.noActivationCa ? { VAULT_DR_ACTIVATION_CA_FILE: primaryCa } : {}),
    }
    const gatewayPort = await freePort()
    const gatewayEnv = {
      VAULT_DR_API_TOKEN_FILE: await secretFile(dir, 'gateway-api-token', tokens.gateway),
      VAULT_DR_STORE: join(dir, 'gateway.sqlite'),
      ...opts.gatewayEnv,
      ...serveTls,
      ...(serviceCa ? { VAULT_DR_AGENT_CACERT: await secretFile(dir, 'service-ca.pem', serviceCa) } : {}),
    }
    const gatewayAt = { port: gatewayPort, caPem: serviceCa }
    const primaryAgentAt = { port: await freePort(), caPem: serviceCa }
    const secondaryAgentAt = { port: await freePort(), caPem: serviceCa }
    // The three services boot at once (each is its own process); one that failed to start leaves none running.
    const [primaryAgent, secondaryAgent, gateway] = await startedTogether(closers, [
      () => startChildService('primary-agent', primaryAgentEnv, primaryAgentAt),
      () => startChildService('secondary-agent', secondaryAgentEnv, secondaryAgentAt),
      () => startChildService('gateway', gatewayEnv, gatewayAt),
    ])
    // The one running now: a restart replaces it.
    let liveSecondaryAgent = secondaryAgent
    closers.push(() => liveSecondaryAgent.stop('SIGKILL'))

    const stack: E2EStack = {
      primary,
      secondary,
      middlebox,
      vaultGates,
      simEvents,
      primaryAgent,
      secondaryAgent,
      gateway,
      gatewayTokenFile: gatewayEnv.VAULT_DR_API_TOKEN_FILE,
      gatewayApi: undefined as never,
      apiTokens: tokens,
      secrets: [
        primary.rootToken,
        secondary.rootToken,
        vaultTokens.primary,
        vaultTokens.secondary,
        ...Object.values(tokens),
        ...(pki ? [pki.server.keyPem] : []),
      ],
      async restartGateway(signal: NodeJS.Signals = 'SIGKILL') {
        await stack.gateway.stop(signal)
        stack.gateway = await startChildService('gateway', gatewayEnv, gatewayAt)
      },
      async restartSecondaryAgent(signal: NodeJS.Signals = 'SIGKILL') {
        await stack.secondaryAgent.stop(signal)
        liveSecondaryAgent = await startChildService('secondary-agent', secondaryAgentEnv, secondaryAgentAt)
        stack.secondaryAgent = liveSecondaryAgent
      },
      close,
    }
    closers.push(() => stack.gateway.stop('SIGKILL'))
    const client = createServiceClient<paths>({
      baseUrl: stack.gateway.url,
      token: tokens.gateway,
      caPem: serviceCa,
      timeoutMs: 30_000,
    })
    closers.push(() => client.close())
    stack.gatewayApi = client.api
    for (const [name, role, agent, agentToken] of [
      ['dc1', 'primary', primaryAgent, tokens.primaryAgent],
      ['dc2', 'secondary', secondaryAgent, tokens.secondaryAgent],
    ] as const) {
      const res = await client.api.POST('/v1/clusters', {
        body: { name, role, agent_url: agent.url, agent_token: agentToken },
      })
      if (!res.response.ok) throw new Error(`registering ${name} failed: ${JSON.stringify(res.error)}`)
    }
    return stack
  } catch (err) {
    await close()
    throw err
  }
}
