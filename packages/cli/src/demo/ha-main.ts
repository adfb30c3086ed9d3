import { followHandshake, type Handshake } from '../commands/handshakes.ts'
import { createGatewayClient } from '../gateway-client.ts'
import { createOutput, expectData } from '../output.ts'
import { type Child, stopChildren } from './child-processes.ts'
import { ETCD_MEMBERS } from './etcd-members.ts'
import { gatewayOf, handshakeLeaseOwner } from './handshake-lease.ts'
import { HA_LEASE_MS, type HaStack, haDataDir, startHaStack } from './start-ha-stack.ts'

/** Added to every emulated Vault answer, so each step lasts long enough to kill the gateway in the middle of one. */
const VAULT_LATENCY_MS = 250
/** The step during which the gateway running the handshake is killed. */
const KILL_AT = 'activate_secondary'

const out = createOutput(false)
out.out('vault-dr HA demo: three etcd members, two gateways on them and a pair of emulated clusters, on loopback')
const children: Child[] = []
let finished = false
let stopping: Promise<never> | undefined
const following = new AbortController()
/** The first caller's exit code wins: a Ctrl-C also ends the children, which the main flow then sees fail. */
const stop = (code: number): Promise<never> => {
  following.abort()
  stopping ??= (async () => {
    out.out('stopping every process of the demo…')
    await stopChildren(children)
    out.out('stopped')
    process.exit(code)
  })()
  return stopping
}
process.once('SIGINT', () => void stop(finished ? 0 : 130))
process.once('SIGTERM', () => void stop(finished ? 0 : 143))

const stack = await startHaStack(children).catch(async (err: unknown) => {
  out.err(`could not start the stack: ${(err as Error).message}\nlogs: ${haDataDir}/logs`)
  return stop(1)
})
describe(stack)

const [siteA, siteB] = stack.gateways
if (siteA === undefined || siteB === undefined) throw new Error('the stack has two gateways')
const viaA = createGatewayClient(siteA.url, stack.apiToken)
const viaB = createGatewayClient(siteB.url, stack.apiToken)
let code = 1
try {
  for (const c of stack.clusters) {
    expectData(
      await viaA.api.POST('/v1/clusters', {
        body: { name: c.name, role: c.role, agent_url: c.agentUrl, agent_token: c.agentToken },
      }),
    )
    await fetch(`${c.adminUrl}/latency`, { method: 'POST', body: JSON.stringify({ ms: VAULT_LATENCY_MS }) })
  }
  out.out(`registered dc1 and dc2 through site-a; each emulated Vault answer now takes ${VAULT_LATENCY_MS} ms more`)
  const created = expectData(
    await viaA.api.POST('/v1/handshakes', { body: { primary: 'dc1', secondary: 'dc2' } as never }),
  )
  out.out(`started handshake ${created.id} on site-a; following it through site-b`)
  const killed = { at: 0, step: '', owner: '' }
  const afterKill = { owner: '' }
  const endpoint = stack.etcd.endpoints[1] ?? ''
  const done = await followHandshake(viaB.api, out, created.id, {
    intervalMs: 100,
    reached: true,
    signal: following.signal,
    onRead: async (h) => {
      if (killed.at === 0 && reached(h, KILL_AT)) {
        killed.owner = gatewayOf(await handshakeLeaseOwner(endpoint, h.id))
        // Stopped (Ctrl-C) while asking etcd: nothing more is done or printed.
        if (following.signal.aborted) return
        killed.step = h.steps.find((s) => s.status === 'running')?.name ?? 'between steps'
        siteA.child.process.kill('SIGKILL')
        killed.at = Date.now()
        out.out(`  >>> SIGKILL to gateway site-a (pid ${siteA.child.process.pid}) during ${killed.step}`)
        out.out(`      lease held by ${killed.owner}; site-b may take over once it runs out (${HA_LEASE_MS} ms)`)
      } else if (killed.at > 0 && afterKill.owner === '') {
        const owner = gatewayOf(await handshakeLeaseOwner(endpoint, h.id))
        if (owner === 'site-b' && !following.signal.aborted) {
          afterKill.owner = owner
          out.out(`  >>> site-b holds the lease ${((Date.now() - killed.at) / 1000).toFixed(1)} s after the kill`)
        }
      }
    },
  })
  const took = ((Date.now() - killed.at) / 1000).toFixed(1)
  const sim = (await (await fetch(`${stack.clusters[1]?.adminUrl}/state`)).json()) as Record<string, unknown>
  out.out('\nwhat happened:')
  out.out(`  site-a ran handshake ${done.id} (its lease owner: ${killed.owner}) and was killed during ${killed.step}`)
  out.out(`  site-b, on the same etcd, took it over (lease owner: ${afterKill.owner || 'not seen'})`)
  out.out(`  and finished it: ${done.state}, ${took} s after the kill; dc2 is ${sim.drMode} (${sim.drState})`)
  const ok = done.state === 'succeeded' && killed.owner === 'site-a' && afterKill.owner === 'site-b'
  out.out(ok ? 'the handshake was finished by the surviving gateway' : 'the takeover did not go as expected')
  code = ok ? 0 : 1
} catch (err) {
  // A Ctrl-C reaches the children too, and the error their end caused here can be handled before the signal is: a
  // refused connection is seen before the event loop's poll phase, where the signal's handler runs. Let one poll
  // phase pass, so the Ctrl-C, when it is one, decides the exit code (130) and no error is printed for it.
  await new Promise((resolve) => setTimeout(resolve, 100))
  if (stopping === undefined) out.err((err as Error).message)
}
finished = true
await stop(code)

/** Whether the handshake reached `step` (running or past it), or ended before. */
function reached(h: Handshake, step: string): boolean {
  const at = h.steps.findIndex((s) => s.name === step)
  return h.steps.slice(at).some((s) => s.status !== 'pending') || ['succeeded', 'failed', 'cancelled'].includes(h.state)
}

function describe(s: HaStack): void {
  for (const note of s.notes) out.out(`note: ${note}`)
  for (const [i, m] of ETCD_MEMBERS.entries()) out.out(`  etcd ${m.name}: ${s.etcd.endpoints[i]}`)
  for (const c of s.clusters) out.out(`  ${c.name} (${c.role}): Vault API ${c.apiAddr}, agent ${c.agentUrl}`)
  for (const g of s.gateways) out.out(`  gateway ${g.name}: ${g.url} (VAULT_DR_STORE=${s.etcd.storeUrl})`)
  out.out(`  logs: ${s.logs}`)
}
