import { classifyNetworkError } from '@vault-dr/core'
import { CliError, ExitCode } from './exit-codes.ts'

/** Why the gateway could not be reached, and what to set: the CLI's variables, never a Node flag. */
export function gatewayUnreachable(err: unknown, baseUrl: string): CliError {
  const net = classifyNetworkError(err)
  // Node's own hint ("try running Node.js with --use-system-ca") is not something a CLI user can pass.
  const why = net.detail.replace(/; if the root CA is installed locally.*$/, '')
  const detail = `cannot reach the gateway at ${baseUrl}: ${why}`
  const https = baseUrl.startsWith('https:')
  if (net.kind === 'tls' && /WRONG_VERSION_NUMBER|EPROTO/.test(net.code)) {
    const fix =
      'VAULT_DR_GATEWAY_ADDR says https://, but the gateway serves plain HTTP there: use http://, or check the port.'
    return new CliError({ code: 'CLI_ERR_GATEWAY_TLS', detail, fix }, ExitCode.unavailable)
  }
  if (net.kind === 'tls') {
    const fix =
      "Set VAULT_DR_GATEWAY_CACERT to the PEM file of the CA that signed the gateway's certificate (default: the system roots)."
    return new CliError({ code: 'CLI_ERR_GATEWAY_TLS', detail, fix }, ExitCode.unavailable)
  }
  const fix =
    net.kind === 'reset' && !https
      ? 'The gateway closed the connection: if it serves HTTPS (VAULT_DR_TLS_CERT), set VAULT_DR_GATEWAY_ADDR to its https:// address.'
      : net.kind === 'timeout'
        ? 'The gateway did not answer in time: check that it runs and look at its log.'
        : 'Check VAULT_DR_GATEWAY_ADDR (default http://127.0.0.1:8400) and that the gateway runs there; "npm start" runs one for a try.'
  return new CliError({ code: 'CLI_ERR_GATEWAY_UNREACHABLE', detail, fix }, ExitCode.unavailable)
}

/** How long a follow keeps asking a gateway that stopped answering (restarting, a network blip) before giving up. */
export const FOLLOW_RECONNECT_MS = 60_000

/** The longest a follow waits on a gateway's Retry-After before asking again. */
const MAX_RETRY_AFTER_MS = 30_000

/** How long to wait before asking again after `err`: `fallbackMs`, or longer when the gateway said so (Retry-After). */
export function waitBeforeAgainMs(err: unknown, fallbackMs: number): number {
  const asked = err instanceof CliError ? err.retryAfterMs : undefined
  return asked === undefined ? fallbackMs : Math.min(Math.max(asked, fallbackMs), MAX_RETRY_AFTER_MS)
}

/**
 * Whether a failed call to the gateway may succeed if made again: it restarting, a network blip (refused, reset,
 * timed out, unreachable), or its rate limit (429). A certificate or a host name that does not resolve will not change by asking again, nor
 * will an answer the gateway gave: both end a follow at once.
 */
export function mayComeBack(err: unknown, connectedBefore: boolean): boolean {
  if (err instanceof CliError) return (err.report.status ?? 0) >= 500 || err.report.status === 429
  // Never reached at all: more likely a wrong VAULT_DR_GATEWAY_ADDR than a gateway restarting at that moment.
  if (!connectedBefore) return false
  const { kind, code } = classifyNetworkError(err)
  // A resolver that failed for now (EAI_AGAIN) may answer again; a name that does not exist will not.
  if (kind === 'dns') return code === 'EAI_AGAIN'
  return kind !== 'tls'
}
