import { DR_OPERATION_POLICY, VaultClient } from '@vault-dr/core'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { waitFor } from './harness.ts'

let made = 0

/**
 * Fact sheet 2.6's recipe, by hand on the primary with its root token: a batch DR operation token. Each token gets a
 * policy and role of its own: one rewritten under the same name would reach a secondary a moment later than the
 * primary has it, and a token checked there meanwhile would be judged by the policy before.
 */
export async function batchToken(
  primary: ClusterHandle,
  ttl: string,
  {
    policy = DR_OPERATION_POLICY,
    replicatedTo,
  }: {
    policy?: string
    /** A DR secondary of `primary` that must have the token's policy before it is checked there. */
    replicatedTo?: ClusterHandle
  } = {},
): Promise<string> {
  const vault = new VaultClient({ addr: primary.apiUrl, token: primary.rootToken, caPem: primary.apiCaPem, retries: 0 })
  const name = `dr-test-${++made}`
  try {
    await vault.write(`sys/policies/acl/${name}`, { policy })
    await vault.write(`auth/token/roles/${name}`, {
      allowed_policies: name,
      orphan: true,
      renewable: false,
      token_type: 'batch',
    })
    const res = await vault.write(`auth/token/create/${name}`, { ttl })
    const wal = primary.state().lastWal
    if (replicatedTo !== undefined) {
      await waitFor(`the secondary to have WAL ${wal} of the token's policy`, async () =>
        replicatedTo.state().lastWal >= wal ? true : undefined,
      )
    }
    return String(res.body?.auth?.client_token)
  } finally {
    await vault.close()
  }
}
