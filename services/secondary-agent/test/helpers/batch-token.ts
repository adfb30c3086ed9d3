import { DR_OPERATION_POLICY, VaultClient } from '@vault-dr/core'
import type { ClusterHandle } from '@vault-dr/vault-sim'

/** Fact sheet 2.6's recipe, by hand on the primary with its root token: a batch DR operation token. */
export async function batchToken(primary: ClusterHandle, ttl: string, policy = DR_OPERATION_POLICY): Promise<string> {
  const vault = new VaultClient({ addr: primary.apiUrl, token: primary.rootToken, caPem: primary.apiCaPem, retries: 0 })
  try {
    await vault.write('sys/policies/acl/dr-test', { policy })
    await vault.write('auth/token/roles/dr-test', {
      allowed_policies: 'dr-test',
      orphan: true,
      renewable: false,
      token_type: 'batch',
    })
    const res = await vault.write('auth/token/create/dr-test', { ttl })
    return String(res.body?.auth?.client_token)
  } finally {
    await vault.close()
  }
}
