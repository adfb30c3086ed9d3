import { ExitCode } from '../exit-codes.ts'
import type { GatewayApi } from '../gateway-client.ts'
import { expectData, type Output } from '../output.ts'

/**
 * Has the gateway issue a new DR operation token on the pair's primary now and check it on the secondary. The token
 * itself never reaches the CLI: only its expiry and the check. Exits 1 when the secondary refused the new token.
 */
export async function rotateDrToken(api: GatewayApi, out: Output, secondary: string) {
  const result = expectData(
    await api.POST('/v1/pairs/{secondary}/dr-operation-token/rotate', { params: { path: { secondary } } }),
  )
  const exitCode =
    result.check.outcome === 'invalid' || result.check.outcome === 'error' ? ExitCode.failed : ExitCode.ok
  if (out.json) {
    out.out(JSON.stringify(result))
    return exitCode
  }
  const lines = [
    `new DR operation token for primary ${result.primary}, valid until ${result.token.expires_at} (next rotation at ${result.token.rotate_at})`,
  ]
  if (result.token.previous_expires_at !== null)
    lines.push(`the one before stays valid until ${result.token.previous_expires_at}`)
  lines.push(`checked on ${result.secondary}: ${result.check.outcome} (${result.check.code}) ${result.check.detail}`)
  if (result.check.fix) lines.push(`fix: ${result.check.fix}`)
  out.out(lines.join('\n'))
  return exitCode
}
