import { join } from 'node:path'
import { followHandshake } from '../commands/handshakes.ts'
import { createGatewayClient } from '../gateway-client.ts'
import { createOutput, expectData } from '../output.ts'
import { dataDir } from './demo-paths.ts'
import { startStack } from './start-stack.ts'

const out = createOutput(false)
out.out('vault-dr demo: two emulated Vault Enterprise clusters, both agents and the gateway, on loopback')
const stack = await startStack().catch((err: unknown) => {
  out.err(`could not start the stack: ${(err as Error).message}\nlogs: ${join(dataDir, 'logs')}`)
  process.exit(1)
})
for (const note of stack.notes) out.out(`note: ${note}`)
for (const c of stack.clusters) out.out(`  ${c.name} (${c.role}): Vault API ${c.apiAddr}, agent ${c.agentUrl}`)
out.out(`  gateway: ${stack.gatewayUrl} (Swagger UI ${stack.gatewayUrl}/docs)`)

const following = new AbortController()
const shutdown = async () => {
  // The gateway goes away with the stack: a follow under way must not wait for it.
  following.abort()
  out.out('\nstopping…')
  await stack.stop()
  process.exit(0)
}
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)

const gateway = createGatewayClient(stack.gatewayUrl, stack.apiToken)
try {
  for (const c of stack.clusters) {
    expectData(
      await gateway.api.POST('/v1/clusters', {
        body: { name: c.name, role: c.role, agent_url: c.agentUrl, agent_token: c.agentToken },
      }),
    )
  }
  out.out('registered dc1 (primary) and dc2 (secondary); starting the handshake')
  const started = performance.now()
  const created = expectData(
    await gateway.api.POST('/v1/handshakes', { body: { primary: 'dc1', secondary: 'dc2' } as never }),
  )
  const finished = await followHandshake(gateway.api, out, created.id, { signal: following.signal, reached: true })
  out.out(`(${((performance.now() - started) / 1000).toFixed(1)} s)`)
  if (finished.state !== 'succeeded') process.exitCode = 1
} catch (err) {
  // Stopping (Ctrl-C) ends the follow: not an error to print.
  if (!following.signal.aborted) out.err((err as Error).message)
  process.exitCode = 1
}

if (!following.signal.aborted)
  out.out(`
The stack keeps running until Ctrl-C. Try the CLI against it:
  export VAULT_DR_GATEWAY_ADDR=${stack.gatewayUrl}
  export VAULT_DR_API_TOKEN_FILE=${stack.apiTokenFile}
  npx vault-dr clusters list
  npx vault-dr handshake list
  npx vault-dr switchover --to dc2 --dry-run
  npx vault-dr drill --to dc2 --hold 30s --dry-run
  npx vault-dr --help${loseSiteHint(stack.clusters[0])}
Status page: ${stack.gatewayUrl}/ui (sign in with the read token in ${stack.readTokenFile})
Logs: ${join(dataDir, 'logs')}`)

/** How to lose dc1's site through vault-sim's admin listener (loopback only) and try a failover, when it serves one. */
function loseSiteHint(primary: { name: string; adminUrl: string | undefined } | undefined): string {
  if (primary?.adminUrl === undefined) return ''
  return `
Lose ${primary.name}'s site (emulator controls), then fail over and bring it back:
  curl -X POST ${primary.adminUrl}/isolate -d '{"mode":"refuse"}'
  npx vault-dr failover --to dc2 --down-for 10s --dry-run
  curl -X POST ${primary.adminUrl}/rejoin`
}
