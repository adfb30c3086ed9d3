import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ClusterHandle } from '@vault-dr/vault-sim'

/**
 * The README's policy for an agent's token (the same for both agents), read from the README itself: what an operator
 * copies is what the tests hold the agent to.
 */
export const PRIMARY_POLICY = readmePolicy('vault-dr-primary-agent.hcl')

function readmePolicy(file: string): string {
  const readme = readFileSync(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8')
  const start = readme.indexOf(`# ${file}`)
  const end = readme.indexOf('```', start)
  if (start < 0 || end < 0) throw new Error(`the README has no policy block ${file}`)
  const lines = readme.slice(start, end).split('\n').slice(1)
  return lines
    .map((l) => l.trim())
    .filter((l) => l.startsWith('path '))
    .join('\n')
}

async function vault(cluster: ClusterHandle, path: string, body: unknown) {
  const res = await fetch(`${cluster.apiUrl}/v1/${path}`, {
    method: 'POST',
    headers: { 'x-vault-token': cluster.rootToken, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`)
  return res.status === 204 ? undefined : ((await res.json()) as { auth?: { client_token: string } })
}

/** A token holding only `policy` (no default policy), as an operator following the README makes one. */
export async function scopedToken(cluster: ClusterHandle, name: string, policy: string, ttl?: string) {
  await vault(cluster, `sys/policies/acl/${name}`, { policy })
  const created = await vault(cluster, 'auth/token/create', {
    policies: [name],
    no_default_policy: true,
    ...(ttl === undefined ? {} : { ttl }),
  })
  const token = created?.auth?.client_token
  if (token === undefined) throw new Error('no token created')
  return token
}
