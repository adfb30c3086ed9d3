import type { CodedError } from '@vault-dr/core'

/** A code of our catalogues (GATEWAY_ERR_*, SECONDARY_ERR_*, VAULT_ERR_*…), not a library's (ECONNREFUSED, UND_ERR_*). */
const DOCUMENTED_CODE = /^[A-Z]+_ERR_[A-Z0-9_]+$/

/**
 * The code a failed call is diagnosed by (a step's error, a preflight check): the agent's own when it answered with a
 * documented one, ours otherwise, never the network library's name for what went wrong (kept in upstream.code).
 */
export function diagnosisCode(err: CodedError): string {
  const agents = err.upstream?.code
  return agents !== undefined && DOCUMENTED_CODE.test(agents) && !agents.startsWith('UND_ERR_') ? agents : err.code
}
