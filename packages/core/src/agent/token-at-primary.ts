import {
  checkVaultToken,
  type RequiredGrant,
  type TokenCheckOptions,
  type VaultTokenCheck,
} from '../vault/token-check.ts'
import { VaultClient } from '../vault/vault-client.ts'
import { redactToken } from './agent-inputs.ts'
import type { VaultAgent } from './vault-agent.ts'

/** How the agent reaches its primary's API with its own token. */
export interface PrimaryTokenAccess {
  token: string
  /** VAULT_DR_PRIMARY_CACERT. */
  caPem: string | undefined
  timeoutMs: number
}

/** The answers about the token itself (not about reaching Vault): what the primary's answer is taken for. */
const TOKEN_VERDICTS: ReadonlySet<string> = new Set([
  'OK',
  'TOKEN_REFUSED',
  'CAPABILITIES_UNREADABLE',
  'MISSING_CAPABILITY',
  'TOKEN_EXPIRING',
  'TOKEN_EXPIRES_SOON',
])

/**
 * The token of an agent whose cluster is a DR secondary, checked where it lives. Vault serves no token paths on a DR
 * secondary, and activation replaced the cluster's tokens with its primary's: the token this agent will act with once
 * the cluster is promoted is the primary's token of that value. So the same questions are asked at the primary's API
 * (the address the cluster's DR status names, trusted with VAULT_DR_PRIMARY_CACERT), and its verdict is the check's,
 * saying where it was made: a token the primary refuses or that lacks a capability fails now, not after a failover.
 * A primary that cannot be asked, or only over plain http (the token is not sent in clear), leaves the secondary's
 * own answer (unknown is not a failure), saying why.
 */
export async function checkTokenAtPrimary(
  agent: VaultAgent,
  required: readonly RequiredGrant[],
  access: PrimaryTokenAccess,
  asSecondary: VaultTokenCheck,
  opts?: TokenCheckOptions,
): Promise<VaultTokenCheck> {
  const notChecked = (why: string): VaultTokenCheck => ({
    ...asSecondary,
    detail: `${asSecondary.detail}; not checked at the primary: ${why}`,
  })
  const status = await agent.status().catch(() => undefined)
  const primaries = (status?.replication?.primaries ?? []).filter((p) => p.api_address)
  // The one it is connected to, when it says: another entry may be a primary it followed before.
  const primary = primaries.find((p) => p.connection_status === 'connected') ?? primaries[0]
  const addr = primary?.api_address ?? null
  if (addr === null) return notChecked("this cluster's DR status names no primary API address")
  if (!addr.startsWith('https://')) {
    return notChecked(`the primary's API ${addr} is plain http, and the agent's token is not sent in clear`)
  }
  const client = new VaultClient({
    addr,
    token: access.token,
    caPem: access.caPem,
    timeoutMs: access.timeoutMs,
    retries: 0,
  })
  try {
    const answered = await checkVaultToken(client, required, opts)
    // What the primary said comes back in the detail: never the token, whatever echoed it.
    const there = { ...answered, detail: redactToken(answered.detail, access.token) }
    if (!TOKEN_VERDICTS.has(there.code)) return notChecked(`${addr} answered ${there.code}: ${there.detail}`)
    return {
      ...there,
      detail: `checked at the primary's API ${addr} (this cluster is a DR secondary: its tokens are the primary's, and stay so once it is promoted): ${there.detail}`,
      checked_at_primary: addr,
    }
  } finally {
    await client.close()
  }
}
