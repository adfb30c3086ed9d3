import { VaultClient } from '@vault-dr/core'
import type { ClusterHandle } from '@vault-dr/vault-sim'

/** The README's policy for each agent's Vault token, line for line. */
export const README_POLICY = {
  primary: `
path "sys/replication/dr/primary/enable"           { capabilities = ["create", "update"] }
path "sys/replication/dr/primary/secondary-token"  { capabilities = ["create", "update", "sudo"] }
path "sys/replication/dr/primary/revoke-secondary" { capabilities = ["create", "update"] }
path "sys/capabilities-self"                       { capabilities = ["update"] }
path "auth/token/lookup-self"                      { capabilities = ["read"] }
`,
  secondary: `
path "sys/replication/dr/secondary/enable"         { capabilities = ["create", "update"] }
path "sys/capabilities-self"                       { capabilities = ["update"] }
path "auth/token/lookup-self"                      { capabilities = ["read"] }
`,
}

async function asRoot<T>(cluster: ClusterHandle, fn: (vault: VaultClient) => Promise<T>): Promise<T> {
  const vault = new VaultClient({ addr: cluster.apiUrl, token: cluster.rootToken, caPem: cluster.apiCaPem, retries: 0 })
  try {
    return await fn(vault)
  } finally {
    await vault.close()
  }
}

/** Writes (or rewrites) an ACL policy: Vault applies it at once to every token that carries it. */
export function writePolicy(cluster: ClusterHandle, name: string, policy: string): Promise<unknown> {
  return asRoot(cluster, (vault) => vault.write(`sys/policies/acl/${name}`, { policy }))
}

/** A token holding only the policy `name` (no default policy), as an operator following the README makes one. */
export async function tokenWithPolicy(cluster: ClusterHandle, name: string, policy: string): Promise<string> {
  await writePolicy(cluster, name, policy)
  const created = await asRoot(cluster, (vault) =>
    vault.write('auth/token/create', { policies: [name], no_default_policy: true }),
  )
  const token = created.body?.auth?.client_token
  if (typeof token !== 'string') throw new Error('Vault created no token')
  return token
}
