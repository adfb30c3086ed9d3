import type { components } from '@vault-dr/gateway/openapi'
import { agentTlsFix } from './cli-fixes.ts'

type ClusterView = components['schemas']['ClusterView']

export interface Health {
  healthy: boolean
  /** What is wrong, in a few words with the code that says so; null when healthy. */
  problem: string | null
  fix: string | null
}

const HEALTHY: Health = { healthy: true, problem: null, fix: null }
const ill = (problem: string, fix: string | null = null): Health => ({ healthy: false, problem, fix })

/**
 * Whether the gateway could read the cluster through its agent, and if not, which link broke: the agent itself
 * (down, refusing the gateway's token, not trusted, slow), or the agent's Vault (unreachable, not trusted, sealed),
 * or the agent's Vault token (refused, expiring, lacking a capability).
 */
/** The fence a failover put on the cluster, once acted on (one written for a promote not sent yet is no one's business). */
export const armedFence = (c: Pick<ClusterView, 'fence'>) => (c.fence && !c.fence.pending ? c.fence : undefined)

export function clusterHealth(c: ClusterView): Health {
  // Failed away from: whatever its agent says, what it needs is a rejoin (its registered role stays until then).
  const fence = armedFence(c)
  if (fence) {
    const now = fence.demoted_at === null ? 'not demoted yet: it is demoted as soon as its agent answers' : 'demoted'
    return ill(
      `fenced: failover ${fence.failover_id} promoted ${fence.new_primary} in its place; ${now}`,
      `Once its site is back and it is demoted, make it ${fence.new_primary}'s DR secondary without a wipe: vault-dr rejoin ${c.name}`,
    )
  }
  const agent = c.agent
  if (agent === null) return ill('not asked (live=false)')
  const addAgain = `VAULT_DR_AGENT_TOKEN_FILE=<file> vault-dr clusters add ${c.name} --role ${c.role} --agent-url ${c.agent_url}`
  if (!agent.reachable) {
    const { code, detail, upstream_code } = agent.error
    const upstream = upstream_code ?? ''
    switch (code) {
      case 'GATEWAY_ERR_AGENT_UNAUTHORIZED':
        return ill(
          `agent refused the gateway's token (${code})`,
          `Register the cluster again with the agent's own token (its VAULT_DR_API_TOKEN): ${addAgain}`,
        )
      case 'GATEWAY_ERR_AGENT_UNREACHABLE': {
        const tls = agentTlsFix(`${upstream} ${detail}`)
        if (tls !== undefined) return ill(`agent TLS failed (${upstream || code})`, tls)
        return ill(
          `agent unreachable (${upstream || code})`,
          `Check that the agent runs and listens at ${c.agent_url}, and the network from the gateway to it.`,
        )
      }
      case 'GATEWAY_ERR_AGENT_TIMEOUT':
        return ill(
          `no status in time from the agent or its Vault behind it (${code})`,
          "Check the agent and its log: it reads its Vault first, so a Vault that hangs delays it. Raise the gateway's VAULT_DR_FLEET_TIMEOUT_MS if both are just slow.",
        )
      case 'GATEWAY_ERR_STORE_KEY_MISMATCH':
        return ill(
          `stored agent token unreadable (${code})`,
          `The gateway's store key changed (VAULT_DR_STORE_KEY, or VAULT_DR_API_TOKEN when that is unset): restore it, or register the cluster again: ${addAgain}`,
        )
    }
    if (upstream.startsWith('VAULT_ERR_')) return vaultProblem(upstream, detail)
    return ill(`${code}${upstream ? ` (${upstream})` : ''}: ${detail}`)
  }
  const { vault, replication } = agent.status
  if (!vault.reachable) return vaultProblem(vaultCode(vault.error ?? ''), vault.error ?? `${vault.address} unreachable`)
  if (vault.sealed === true) return ill('Vault sealed', 'Unseal the cluster (vault operator unseal).')
  if (replication === null) {
    return ill(
      "the agent cannot read Vault's DR status",
      "Read the agent's log, and check its VAULT_ADDR points at the cluster's active node.",
    )
  }
  // Status reads need no token: a token Vault refuses shows only here, and fails every change the agent is asked for.
  const token = agent.vault_token
  if (token?.status === 'fail') return ill(`the agent's Vault token (${token.code}): ${token.detail}`, token.fix)
  return HEALTHY
}

/** The Vault code a failed read's message implies, for a fix that names the right variable. */
function vaultCode(message: string): string {
  if (/CERT|certificate|LEAF_SIGNATURE|SELF_SIGNED|ISSUER|ERR_SSL_|ERR_TLS_/.test(message)) return 'VAULT_ERR_TLS'
  if (/timeout|TimeoutError|ETIMEDOUT|aborted/i.test(message)) return 'VAULT_ERR_TIMEOUT'
  return 'VAULT_ERR_UNREACHABLE'
}

function vaultProblem(code: string, detail: string): Health {
  const fixes: Record<string, string> = {
    VAULT_ERR_TLS:
      "Set the agent's VAULT_CACERT to the PEM file of the CA that signed Vault's API certificate, and restart the agent.",
    VAULT_ERR_TIMEOUT:
      "Vault does not answer the agent in time: check that the Vault node is healthy and not hung or overloaded; raise the agent's VAULT_DR_VAULT_TIMEOUT_MS if it is just slow.",
    VAULT_ERR_SEALED: 'Unseal the cluster (vault operator unseal).',
    VAULT_ERR_PERMISSION_DENIED: "Check the agent's Vault token (VAULT_TOKEN_FILE) and its policy (README).",
  }
  const fix =
    fixes[code] ??
    "Check the agent's VAULT_ADDR, that Vault runs and listens there, and the network from the agent to it."
  return ill(`the agent cannot read its Vault (${code}): ${detail}`, fix)
}
