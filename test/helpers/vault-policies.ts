import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { VaultClient } from '@vault-dr/core'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { repoRoot } from './repo-paths.ts'

/** The policy of `file` (vault-dr-primary-agent.hcl...) as the README's real-cluster section gives it, verbatim. */
function readmePolicy(file: string): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
  const block = new RegExp(`\`\`\`hcl\\n\\s*# ${file.replaceAll('.', '\\.')}[^\\n]*\\n([\\s\\S]*?)\`\`\``).exec(readme)
  if (block?.[1] === undefined) throw new Error(`README.md has no hcl block for ${file}`)
  return block[1]
}

/** Each agent's Vault policy, read from the README, so the tests prove the policy operators copy. */
export const README_POLICY = {
  primary: readmePolicy('vault-dr-primary-agent.hcl'),
  secondary: readmePolicy('vault-dr-secondary-agent.hcl'),
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
