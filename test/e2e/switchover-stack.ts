import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createServiceClient } from '@vault-dr/core/service-client'
import type { components, paths } from '@vault-dr/gateway/openapi'
import { type ClusterHandle, startCluster } from '@vault-dr/vault-sim'
import { onTestFinished } from 'vitest'
import { EtcdCluster } from '../../services/gateway/test/helpers/etcd-cluster.ts'
import { type ChildService, startChildService, startedTogether } from '../helpers/child-service.ts'
import { freePort } from '../helpers/free-port.ts'
import { startVaultGate, type VaultGate } from '../helpers/vault-gate.ts'

export type Operation = components['schemas']['Operation']

/** A two-cluster switchover's steps, in order. */
export const SWITCHOVER_STEPS = [
  'preflight',
  'demote_primary',
  'wait_catch_up',
  'promote_secondary',
  'verify_new_primary',
  'rejoin_old_primary',
  'verify_pairs',
  'new_dr_operation_token',
] as const

export interface SwitchStackOptions {
  /** dc1 is the primary; dc2 (and dc3) its DR secondaries, joined by the gateway's handshakes. */
  clusters?: 2 | 3
  /** Added to every Vault API answer, so steps last long enough to be interrupted. */
  latencyMs?: number
  gatewayEnv?: Record<string, string>
  /** Where the gateways keep their state: a SQLite file (default) or a three-member etcd cluster the stack starts. */
  store?: 'sqlite' | 'etcd'
  /** How many gateways (2 needs the etcd store): `gateways[0]` is `gateway`, each has its own id and API client. */
  gateways?: 1 | 2
  /** Each agent reaches its cluster's API through a gate that can hold (or drop) its requests. */
  vaultGates?: boolean
  /** The Vault version a cluster reports, by name (vault-sim's default otherwise). */
  versions?: Record<string, string>
}

export interface SwitchStack {
  dir: string
  clusters: Record<string, ClusterHandle>
  agents: Record<string, ChildService>
  /** With `vaultGates`: what stands between each cluster's agent and its API, by cluster name; else undefined. */
  vaultGates: Record<string, VaultGate> | undefined
  /** The first gateway: the one the stack's `api` talks to. */
  gateway: ChildService
  api: ReturnType<typeof createServiceClient<paths>>['api']
  /** Every gateway, with its API client; `restartGateway(signal, i)` replaces gateway i. */
  gateways: Array<{ service: ChildService; api: ReturnType<typeof createServiceClient<paths>>['api'] }>
  /** The etcd cluster of the `etcd` store (stop(i)/start(i) take members down and up), else undefined. */
  etcd: EtcdCluster | undefined
  /** The gateways' environment, for a test that starts another gateway on the same store. */
  gatewayEnv: Record<string, string>
  /** The root token of every cluster: one token in the replicated data, valid whichever cluster is primary. */
  rootToken: string
  simEvents: string[]
  secrets: string[]
  restartGateway(signal?: NodeJS.Signals, index?: number): Promise<void>
  /** Stops a cluster's agent (SIGKILL by default) and starts it again as the stack did (same port, token files and
   * state), with `env` added; it replaces `agents[name]`. */
  restartAgent(name: string, opts?: { env?: Record<string, string>; signal?: NodeJS.Signals }): Promise<ChildService>
  /**
   * Starts a cluster's agent again on another port (SIGKILL of the running one first) and registers it there, with
   * `role` (the registry's role of the cluster now).
   */
  moveAgent(name: string, role: 'primary' | 'secondary'): Promise<ChildService>
  close(): Promise<void>
}

const token = () => randomBytes(24).toString('base64url')

async function secretFile(dir: string, name: string, value: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, value, { mode: 0o600 })
  return path
}

/**
 * Two or three emulated clusters in this process sharing one root token (each agent's Vault token then stays valid
 * on its cluster whatever role it has: a token of the primary's data, as in production), an agent per cluster and
 * the gateway as built child processes, and the pairs made by the gateway's own handshakes (dc1 -> dc2, dc1 -> dc3).
 */
export async function startSwitchStack(opts: SwitchStackOptions = {}): Promise<SwitchStack> {
  const dir = await mkdtemp(join(tmpdir(), 'vault-dr-switch-'))
  const closers: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })]
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => {})
  }
  try {
    const gatewayCount = opts.gateways ?? 1
    if (gatewayCount > 1 && opts.store !== 'etcd') throw new Error('several gateways need the etcd store')
    // etcd starts while the clusters and agents do (its failure is thrown where it is awaited); it stops last.
    const etcdStarting = opts.store === 'etcd' ? EtcdCluster.start() : undefined
    etcdStarting?.catch(() => {})
    closers.push(async () => (await etcdStarting)?.close())
    const names = opts.clusters === 3 ? ['dc1', 'dc2', 'dc3'] : ['dc1', 'dc2']
    const simEvents: string[] = []
    const rootToken = token()
    const timings = { bootstrapMs: 30, merkleDiffMs: 20, merkleSyncMs: 30, heartbeatMs: 100, reconnectMs: 50 }
    const clusters: Record<string, ClusterHandle> = {}
    for (const name of names) {
      const c = await startCluster({
        name,
        rootToken,
        timings,
        version: opts.versions?.[name],
        logger: (line) => simEvents.push(`${name}: ${line}`),
      })
      closers.push(() => c.close())
      if (opts.latencyMs) c.faults.setLatency(opts.latencyMs)
      clusters[name] = c
    }
    const apiTokens: Record<string, string> = Object.fromEntries([...names, 'gateway'].map((n) => [n, token()]))
    let vaultGates: Record<string, VaultGate> | undefined
    if (opts.vaultGates) {
      const gates: Record<string, VaultGate> = {}
      for (const name of names) {
        const gate = await startVaultGate((clusters[name] as ClusterHandle).apiUrl)
        closers.push(() => gate.close())
        gates[name] = gate
      }
      vaultGates = gates
    }
    const agentSpecs = await Promise.all(
      names.map(async (name) => ({
        name,
        service: name === 'dc1' ? ('primary-agent' as const) : ('secondary-agent' as const),
        env: {
          VAULT_ADDR: vaultGates?.[name]?.url ?? (clusters[name] as ClusterHandle).apiUrl,
          VAULT_TOKEN_FILE: await secretFile(dir, `${name}-vault-token`, rootToken),
          VAULT_DR_API_TOKEN_FILE: await secretFile(dir, `${name}-api-token`, apiTokens[name] as string),
          VAULT_DR_AGENT_STATE_DIR: join(dir, `${name}-agent-state`),
          VAULT_DR_STATUS_CACHE_MS: '100',
          VAULT_DR_PROBE_TIMEOUT_MS: '2000',
        },
        at: { port: await freePort() },
      })),
    )
    const etcd = await etcdStarting
    const gatewayEnv: Record<string, string> = {
      VAULT_DR_API_TOKEN_FILE: await secretFile(dir, 'gateway-api-token', apiTokens.gateway as string),
      VAULT_DR_STORE: etcd === undefined ? join(dir, 'gateway.sqlite') : etcd.storeUrl,
      ...opts.gatewayEnv,
    }
    const gatewaySlots = await Promise.all(
      Array.from({ length: gatewayCount }, async (_, i) => {
        const at = { port: await freePort() }
        const env = { ...gatewayEnv, ...(gatewayCount > 1 ? { VAULT_DR_GATEWAY_ID: `gateway-${i + 1}` } : {}) }
        const client = createServiceClient<paths>({
          baseUrl: `http://127.0.0.1:${at.port}`,
          token: apiTokens.gateway as string,
          timeoutMs: 30_000,
        })
        closers.push(() => client.close())
        return { at, env, client }
      }),
    )
    // Every agent and gateway boots at once (each is its own process); one that failed to start leaves none running.
    const started = await startedTogether(closers, [
      ...agentSpecs.map((a) => () => startChildService(a.service, a.env, a.at)),
      ...gatewaySlots.map((slot) => () => startChildService('gateway', slot.env, slot.at)),
    ])
    const agents: Record<string, ChildService> = Object.fromEntries(
      agentSpecs.map((a, i) => [a.name, started[i] as ChildService]),
    )
    const gateways: SwitchStack['gateways'] = gatewaySlots.map((slot, i) => ({
      service: started[agentSpecs.length + i] as ChildService,
      api: slot.client.api,
    }))
    // A restarted gateway, or an agent a test started again in its place, replaces its entry: the one running at the
    // end is stopped.
    closers.push(async () => {
      for (const g of gateways) await g.service.stop('SIGKILL')
      for (const a of Object.values(agents)) await a.stop('SIGKILL')
    })
    const client = (gatewaySlots[0] as (typeof gatewaySlots)[number]).client
    const stack: SwitchStack = {
      dir,
      clusters,
      agents,
      vaultGates,
      gateway: (gateways[0] as SwitchStack['gateways'][number]).service,
      api: client.api,
      gateways,
      etcd,
      gatewayEnv,
      rootToken,
      simEvents,
      secrets: [rootToken, ...Object.values(apiTokens)],
      async restartGateway(signal: NodeJS.Signals = 'SIGKILL', index = 0) {
        const slot = gatewaySlots[index]
        const running = gateways[index]
        if (slot === undefined || running === undefined) throw new Error(`the stack has no gateway ${index}`)
        await running.service.stop(signal)
        running.service = await startChildService('gateway', slot.env, slot.at)
        if (index === 0) stack.gateway = running.service
      },
      async restartAgent(name, { env = {}, signal = 'SIGKILL' } = {}) {
        const spec = agentSpecs.find((a) => a.name === name)
        const running = agents[name]
        if (spec === undefined || running === undefined) throw new Error(`the stack has no agent for ${name}`)
        await running.stop(signal)
        const agent = await startChildService(spec.service, { ...spec.env, ...env }, spec.at)
        agents[name] = agent
        return agent
      },
      async moveAgent(name, role) {
        const spec = agentSpecs.find((a) => a.name === name)
        if (spec === undefined) throw new Error(`the stack has no agent for ${name}`)
        await agents[name]?.stop('SIGKILL')
        spec.at = { port: await freePort() }
        const agent = await startChildService(spec.service, spec.env, spec.at)
        agents[name] = agent
        const res = await client.api.POST('/v1/clusters', {
          body: {
            name,
            role,
            agent_url: agent.url,
            agent_token: apiTokens[name] as string,
          },
        })
        if (!res.response.ok) throw new Error(`registering ${name} again failed: ${JSON.stringify(res.error)}`)
        return agent
      },
      close,
    }
    for (const name of names) {
      const res = await client.api.POST('/v1/clusters', {
        body: {
          name,
          role: name === 'dc1' ? 'primary' : 'secondary',
          agent_url: (agents[name] as ChildService).url,
          agent_token: apiTokens[name] as string,
        },
      })
      if (!res.response.ok) throw new Error(`registering ${name} failed: ${JSON.stringify(res.error)}`)
    }
    for (const secondary of names.slice(1)) {
      const res = await client.api.POST('/v1/handshakes', { body: { primary: 'dc1', secondary } as never })
      if (!res.data) throw new Error(`handshake dc1 -> ${secondary}: ${JSON.stringify(res.error)}`)
      const id = res.data.id
      await until(`handshake to ${secondary}`, 60_000, async () => {
        const h = await client.api.GET('/v1/handshakes/{id}', { params: { path: { id } } })
        if (h.data?.state === 'failed')
          throw new Error(`handshake dc1 -> ${secondary}: ${JSON.stringify(h.data.error)}`)
        return h.data?.state === 'succeeded'
      })
    }
    return stack
  } catch (err) {
    await close()
    throw err
  }
}

export async function until(what: string, timeoutMs: number, ok: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

/** Polls the gateway until the operation satisfies `done` (default: finished); tolerates a restarting gateway. */
export async function waitForOperation(
  stack: SwitchStack,
  id: string,
  done: (op: Operation) => boolean = (op) => ['succeeded', 'failed', 'cancelled'].includes(op.state),
  timeoutMs = 120_000,
): Promise<Operation> {
  const deadline = Date.now() + timeoutMs
  let last: Operation | undefined
  while (Date.now() < deadline) {
    const res = await stack.api.GET('/v1/operations/{id}', { params: { path: { id } } }).catch(() => undefined)
    if (res?.data) {
      last = res.data
      if (done(last)) return last
    }
    await sleep(25)
  }
  throw new Error(`operation ${id} not done within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`)
}

/** A cluster of the stack by name (the test fails at once if it has no such cluster). */
export function clusterOf(stack: SwitchStack, name: string): ClusterHandle {
  const c = stack.clusters[name]
  if (c === undefined) throw new Error(`the stack has no cluster ${name}`)
  return c
}

export const stepOf = (op: Operation, name: string) => op.steps.find((s) => s.name === name)

/** A KV write with the shared root token: whether the cluster accepted it (only a serving primary does). */
export async function kvWrite(c: ClusterHandle, rootToken: string, path: string): Promise<boolean> {
  const res = await fetch(`${c.apiUrl}/v1/secret/data/${path}`, {
    method: 'POST',
    headers: { 'x-vault-token': rootToken },
    body: JSON.stringify({ data: { value: path } }),
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined)
  await res?.body?.cancel()
  return res?.status === 200
}

export async function kvRead(c: ClusterHandle, rootToken: string, path: string): Promise<unknown> {
  const res = await fetch(`${c.apiUrl}/v1/secret/data/${path}`, { headers: { 'x-vault-token': rootToken } })
  if (res.status !== 200) return undefined
  return ((await res.json()) as { data?: { data?: { value?: unknown } } }).data?.data?.value
}

/**
 * Writes to every cluster at once, round after round, until stopped (at the latest when the test calling it ends):
 * which writes each accepted (to read them back on the final primary: nothing lost), and every round in which two
 * clusters accepted a write (two primaries).
 */
export function startWriteSampler(stack: SwitchStack) {
  const accepted: Record<string, string[]> = Object.fromEntries(Object.keys(stack.clusters).map((n) => [n, []]))
  const doubles: string[] = []
  const doubleRounds: number[] = []
  let rounds = 0
  let running = true
  const loop = (async () => {
    while (running) {
      const round = rounds++
      const took = await Promise.all(
        Object.entries(stack.clusters).map(async ([name, c]) => {
          const path = `sampler/${name}/${round}`
          return (await kvWrite(c, stack.rootToken, path)) ? [name, path] : undefined
        }),
      )
      const ok = took.filter((t): t is [string, string] => t !== undefined)
      for (const [name, path] of ok) accepted[name]?.push(path)
      if (ok.length > 1) {
        doubles.push(`round ${round}: ${ok.map(([n]) => n).join(' and ')} accepted writes`)
        doubleRounds.push(round)
      }
      await sleep(10)
    }
  })()
  // Stopped however the test ends: a failed assertion must not leave it writing while later tests run.
  onTestFinished(async () => {
    running = false
    await loop
  })
  return {
    accepted,
    doubles,
    /** Rounds begun so far: a round numbered this or later begins after this call. */
    rounds: () => rounds,
    /** What `cluster` accepted in rounds numbered `from` or later. */
    acceptedFrom: (cluster: string, from: number) =>
      (accepted[cluster] ?? []).filter((path) => Number(path.split('/').at(-1)) >= from),
    /** The doubles of rounds numbered `from` or later. */
    doublesFrom: (from: number) => doubles.filter((_, i) => (doubleRounds[i] ?? -1) >= from),
    /** Resolves once the round under way has been recorded: its writes may have been accepted before a change just seen. */
    async flush() {
      const under = rounds
      while (running && rounds <= under) await sleep(5)
      if (!running) await loop
    },
    async stop() {
      running = false
      await loop
    },
  }
}
