/** Paths Vault protects as root paths: a token needs sudo on them beside the operation's own capability. */
const SUDO_PATHS = new Set([
  'sys/replication/dr/primary/secondary-token',
  'sys/replication/reindex',
  'sys/replication/dr/reindex',
])

/**
 * What Vault refused, in policy terms: the path and the capabilities the call needed there. `what` is the call as
 * the client describes it ("POST /v1/sys/replication/dr/primary/enable").
 */
export function deniedCapability(what: string): { path: string; capabilities: string[] } | undefined {
  const match = /^(GET|HEAD|POST|PUT|DELETE|LIST) \/v1\/([^?\s]+)/.exec(what)
  if (match === null) return undefined
  const [, method, rawPath = ''] = match
  const path = rawPath.replace(/\/+$/, '')
  const operation = method === 'GET' || method === 'HEAD' ? 'read' : method === 'DELETE' ? 'delete' : 'update'
  return { path, capabilities: SUDO_PATHS.has(path) ? [operation, 'sudo'] : [operation] }
}

/** The fix of a 403 that names the path and capability Vault refused, for the token's two possible faults. */
export function deniedFix(what: string): string | undefined {
  const denied = deniedCapability(what)
  if (denied === undefined) return undefined
  const caps = denied.capabilities.join(' and ')
  const hcl = `path "${denied.path}" { capabilities = [${denied.capabilities.map((c) => `"${c}"`).join(', ')}] }`
  return `Vault refused ${caps} on ${denied.path} to this agent's Vault token. Either the token is wrong, expired or revoked (the agent's /readyz check vault_token says which): give the agent a valid one (VAULT_TOKEN_FILE) and restart it; or its policy lacks ${hcl}: add it (the README lists each agent's whole policy).`
}
