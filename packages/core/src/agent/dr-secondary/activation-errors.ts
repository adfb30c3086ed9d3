import { type CodedError, isCodedError, scrubCodedError } from '../../errors.ts'
import { VaultErrors } from '../../vault/vault-errors.ts'
import { redactToken } from '../agent-inputs.ts'
import { SecondaryErrors } from '../secondary-errors.ts'

const ENABLE = 'sys/replication/dr/secondary/enable'

/**
 * Turns Vault's answer to secondary/enable into our codes (fact sheet §8), keeping Vault's status and messages in
 * `upstream` with the token scrubbed from them. Never attaches the original error: its message may quote Vault.
 */
export function classifyActivationError(err: unknown, token: string): unknown {
  if (!isCodedError(err)) return err
  const answered = err.upstream?.service === 'vault' ? err.upstream.status : undefined
  if (answered === undefined) return scrubbed(err, token)

  const errors = (err.upstream?.errors ?? []).map((e) => redactToken(e, token))
  const text = errors.join('; ')
  const upstream = { service: 'vault', status: answered, errors }
  const vaultSaid = `Vault answered ${answered} to ${ENABLE}${text ? `: ${text}` : ''}`
  const has = (pattern: RegExp) => pattern.test(text)

  if (has(/error unwrapping secondary token/)) {
    if (has(/x509|certificate/i)) {
      return SecondaryErrors.primaryApiUntrusted(
        `The secondary's Vault does not trust the primary's API certificate. ${vaultSaid}`,
        { upstream },
      )
    }
    return SecondaryErrors.primaryApiUnreachable(
      `The secondary's Vault could not reach the primary's API (${unwrapCause(text)}). ${vaultSaid}`,
      { upstream },
    )
  }
  if (has(/error response unwrapping secondary token|wrapping token is not valid|error validating wrapping token/)) {
    return SecondaryErrors.tokenRejected(`The primary refused to unwrap the activation token. ${vaultSaid}`, {
      upstream,
    })
  }
  if (has(/error fetching secondary bootstrap package/)) {
    return SecondaryErrors.clusterPort(
      `The token was unwrapped, but the bootstrap over the primary's cluster port failed. ${vaultSaid}`,
      { upstream },
    )
  }
  if (err.code === VaultErrors.sealed.code || has(/Vault is sealed/)) {
    return SecondaryErrors.sealed(`This cluster is sealed. ${vaultSaid}`, { upstream })
  }
  if (has(/ca[ _]?file|ca[ _]?path/i)) return SecondaryErrors.caFile(vaultSaid, { upstream })
  if (has(/primary API address|primary_api_addr/i)) return SecondaryErrors.noPrimaryAddr(vaultSaid, { upstream })
  return SecondaryErrors.activationFailed(vaultSaid, { upstream })
}

function unwrapCause(text: string): string {
  if (/connection refused/i.test(text)) return 'connection refused'
  if (/i\/o timeout|deadline exceeded|timed? ?out/i.test(text)) return 'timeout'
  if (/no such host|server misbehaving|lookup /i.test(text)) return 'DNS failure'
  if (/connection reset/i.test(text)) return 'connection reset'
  if (/no route to host|network is unreachable/i.test(text)) return 'no route'
  return 'network failure'
}

/** A failure talking to the local Vault (not an answer of it): same code, message scrubbed, no raw cause. */
function scrubbed(err: CodedError, token: string): CodedError {
  return redactToken(err.message, token) === err.message ? err : scrubCodedError(err, (t) => redactToken(t, token))
}
