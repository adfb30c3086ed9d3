import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type ClusterHandle, startCluster } from '@vault-dr/vault-sim'
import { handshakeLease } from './ha-etcd.ts'
import { type BenchContext, ZERO_TIMINGS } from './lib/context.ts'
import { createHandshake, type Gateway, getHandshake, type HandshakeView, registerCluster } from './lib/gateway-api.ts'
import { randomToken, secretFile } from './lib/secrets.ts'
import { type RunningService, startService } from './lib/services.ts'

/** The step during which the gateway running the handshake is killed. */
const KILL_AT = 'verify'
/**
 * How long the emulated secondary stays bootstrapping after its activation: `verify` waits that long for it to
 * stream, which is when the gateway running it is killed.
 */
const BOOTSTRAP_MS = 1_500
const POLL_MS = 20

/** Where the two gateways keep their state: one key prefix of a running etcd cluster. */
export interface TakeoverStore {
  storeUrl: string
  prefix: string
  /** One member's client address (host:port), to read a lease from. */
  endpoint: string
}

/** One handshake whose gateway was killed during `verify`, finished by the other. */
export interface TakeoverSample {
  leaseMs: number
  /** From the SIGKILL to the other gateway starting the step again (its `started_at`). */
  fromKillMs: number
  /** From the killed gateway's last lease renewal (the lease end it wrote, less the lease) to the same. */
  fromRenewalMs: number
  /** From the SIGKILL to the step done by the other gateway. */
  stepDoneMs: number
  /** From the SIGKILL to the handshake finished. */
  finishedMs: number
  state: string
}

const rootToken = () => `hvs.${randomBytes(18).toString('base64url')}`

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(POLL_MS)
  }
}

const stepOf = (hs: HandshakeView, name: string) => {
  const step = hs.steps.find((s) => s.name === name)
  if (step === undefined) throw new Error(`handshake ${hs.id} has no step ${name}`)
  return step
}

/**
 * Two gateways on one etcd store, each a real server process with VAULT_DR_LEASE_MS = `leaseMs`: per sample, a fresh
 * secondary (an emulated cluster in this process and its agent, a real server process) joins the one primary through
 * a handshake created on either gateway in turn; the gateway holding its lease (read from etcd) is killed with
 * SIGKILL once `verify` runs; the other one resumes the step and finishes the handshake; the killed one is started
 * again for the next sample.
 */
export async function takeoverSamples(
  ctx: BenchContext,
  store: TakeoverStore,
  leases: number[],
  perLease: number,
): Promise<TakeoverSample[]> {
  const token = rootToken()
  const clusters: ClusterHandle[] = []
  const agents: RunningService[] = []
  const gateways: Array<RunningService | undefined> = [undefined, undefined]
  const stateDir = (name: string) => ({ VAULT_DR_AGENT_STATE_DIR: join(ctx.dir, `ha-${name}-agent-state`) })
  const storeKey = secretFile(join(ctx.dir, 'secrets'), 'ha-takeover-store-key', randomToken())
  const samples: TakeoverSample[] = []
  try {
    const primary = await startCluster({ name: 'ha-dc0', rootToken: token, timings: ZERO_TIMINGS })
    clusters.push(primary)
    const primaryAgent = await startService('primary-agent', {
      dir: ctx.dir,
      vault: { addr: primary.apiUrl, token },
      env: stateDir('dc0'),
    })
    agents.push(primaryAgent)
    let registered = false
    let k = 0
    for (const leaseMs of leases) {
      const startGateway = (i: number) =>
        startService('gateway', {
          dir: ctx.dir,
          env: {
            VAULT_DR_STORE: store.storeUrl,
            VAULT_DR_ETCD_PREFIX: store.prefix,
            VAULT_DR_STORE_KEY_FILE: storeKey,
            VAULT_DR_GATEWAY_ID: `gw-${i + 1}`,
            VAULT_DR_LEASE_MS: String(leaseMs),
          },
        })
      for (const i of [0, 1]) gateways[i] = await startGateway(i)
      const api = (i: number): Gateway => {
        const gw = gateways[i]
        if (gw === undefined) throw new Error(`gateway ${i + 1} is not running`)
        return { url: gw.url, token: gw.token }
      }
      if (!registered) {
        await registerCluster(api(0), {
          name: 'dc0',
          role: 'primary',
          agentUrl: primaryAgent.url,
          agentToken: primaryAgent.token,
        })
        registered = true
      }
      for (let s = 0; s < perLease; s++, k++) {
        const name = `ha-s${k}`
        const secondary = await startCluster({
          name,
          rootToken: token,
          timings: { ...ZERO_TIMINGS, bootstrapMs: BOOTSTRAP_MS },
        })
        clusters.push(secondary)
        const agent = await startService('secondary-agent', {
          dir: ctx.dir,
          vault: { addr: secondary.apiUrl, token },
          env: stateDir(name),
        })
        agents.push(agent)
        const creator = k % 2
        await registerCluster(api(creator), { name, role: 'secondary', agentUrl: agent.url, agentToken: agent.token })
        const { id } = await createHandshake(api(creator), 'dc0', name)
        await until(`handshake ${id} running ${KILL_AT}`, 30_000, async () => {
          const hs = await getHandshake(api(1 - creator), id)
          if (['succeeded', 'failed', 'cancelled'].includes(hs.state)) {
            throw new Error(`handshake ${id} ${hs.state} before ${KILL_AT}: ${JSON.stringify(hs.error)}`)
          }
          return stepOf(hs, KILL_AT).status === 'running' ? hs : undefined
        })
        const holder = (await handshakeLease(store.endpoint, store.prefix, id)).owner?.split('/')[0]
        const victim = holder === 'gw-1' ? 0 : holder === 'gw-2' ? 1 : undefined
        if (victim === undefined) throw new Error(`handshake ${id}: lease held by ${holder}, not by either gateway`)
        const killed = gateways[victim]
        const exited = new Promise((resolve) => killed?.child.process.once('exit', resolve))
        killed?.child.process.kill('SIGKILL')
        const killAt = Date.now()
        await exited
        gateways[victim] = undefined
        // Read once the holder is gone: a renewal in flight at the kill that etcd applied counts as the last one.
        const renewedUntil = (await handshakeLease(store.endpoint, store.prefix, id)).until
        if (renewedUntil === null) throw new Error(`handshake ${id}: no lease end in etcd after the kill`)
        const survivor = 1 - victim
        const done = await until(`handshake ${id} finished by gw-${survivor + 1}`, 30_000 + leaseMs, async () => {
          const hs = await getHandshake(api(survivor), id)
          return ['succeeded', 'failed', 'cancelled'].includes(hs.state) ? hs : undefined
        })
        const step = stepOf(done, KILL_AT)
        const resumedAt = Date.parse(step.started_at ?? '')
        if (!(resumedAt >= killAt)) throw new Error(`handshake ${id}: ${KILL_AT} was not started again after the kill`)
        samples.push({
          leaseMs,
          fromKillMs: resumedAt - killAt,
          fromRenewalMs: resumedAt - (renewedUntil - leaseMs),
          stepDoneMs: Date.parse(step.finished_at ?? '') - killAt,
          finishedMs: Date.parse(done.finished_at ?? '') - killAt,
          state: done.state,
        })
        const last = samples.at(-1)
        ctx.log(
          `ha takeover (lease ${leaseMs} ms) ${s + 1}/${perLease}: gw-${victim + 1} killed during ${KILL_AT}; gw-${survivor + 1} resumed it ${last?.fromKillMs} ms later (${last?.fromRenewalMs} ms after the last renewal), handshake ${done.state}`,
        )
        await Promise.all([agent.child.stop(5_000), secondary.close()])
        agents.splice(agents.indexOf(agent), 1)
        clusters.splice(clusters.indexOf(secondary), 1)
        gateways[victim] = await startGateway(victim)
      }
      await Promise.all(gateways.map((g) => g?.child.stop(10_000)))
      gateways.fill(undefined)
    }
    return samples
  } finally {
    await Promise.all([...gateways, ...agents].map((s) => s?.child.stop(10_000)))
    await Promise.all(clusters.map((c) => c.close()))
  }
}
