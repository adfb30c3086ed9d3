import { isIP } from 'node:net'

/** A loopback host: the agent runs on the gateway's own machine (or a local TLS sidecar in front of it). */
function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '')
  if (bare === 'localhost') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  return bare === '::1'
}

/**
 * What is wrong with reaching an agent at `agentUrl`, if anything: plain http to another machine carries the agent's
 * bearer token and every secret the gateway relays to it (activation and DR operation tokens, key shares) in clear.
 */
export function agentUrlWarning(agentUrl: string): string | null {
  const url = new URL(agentUrl)
  if (url.protocol !== 'http:' || isLoopback(url.hostname)) return null
  return `${agentUrl} is plain http to another machine: the agent token, and the activation tokens, DR operation tokens and key shares the gateway relays to this agent, would cross the network in clear. Serve the agent over https (its VAULT_DR_TLS_CERT and VAULT_DR_TLS_KEY) and register it with its https:// address.`
}
