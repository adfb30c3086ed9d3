import type { ClusterHandle } from '@vault-dr/vault-sim'

/** The README's policy for an agent's token (the same for both agents). */
export const PRIMARY_POLICY = `
path "sys/replication/dr/primary/enable"           { capabilities = ["create", "update"] }
path "sys/replication/dr/primary/secondary-token"  { capabilities = ["create", "update", "sudo"] }
path "sys/replication/dr/primary/revoke-secondary" { capabilities = ["create", "update"] }
path "sys/replication/dr/primary/demote"           { capabilities = ["create", "update"] }
path "sys/replication/dr/secondary/enable"         { capabilities = ["create", "update"] }
path "sys/policies/acl/vault-dr-dr-operation"      { capabilities = ["read", "create", "update"] }
path "auth/token/roles/vault-dr-dr-operation"      { capabilities = ["read", "create", "update"] }
path "auth/token/create/vault-dr-dr-operation"     { capabilities = ["create", "update"] }
path "sys/policies/acl/vault-dr-write-check"       { capabilities = ["read", "create", "update"] }
path "sys/capabilities-self"                       { capabilities = ["update"] }
path "auth/token/lookup-self"                      { capabilities = ["read"] }
`

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
