import { describe, expect, it } from 'vitest'
import type { CodedError } from '../../errors.ts'
import { classifyVaultError } from '../../vault/classify-vault-error.ts'
import { VaultErrors } from '../../vault/vault-errors.ts'
import { classifyActivationError } from './activation-errors.ts'

const jti = 'hvs.AbCdEfGhIjKlMnOpQrStUvWx'
const payload = Buffer.from(JSON.stringify({ addr: 'https://10.0.0.1:8200', exp: 2, iat: 1, jti, type: 'wrapping' }))
const token = `eyJhbGciOiJFUzUxMiIsInR5cCI6IkpXVCJ9.${payload.toString('base64url')}.c2lnbmF0dXJl`

/** What the core Vault client throws when secondary/enable answers `status` with `errors`. */
const vaultSaid = (status: number, ...errors: string[]) =>
  classifyVaultError(status, errors, 'POST /v1/sys/replication/dr/secondary/enable')

const classify = (err: unknown) => classifyActivationError(err, token) as CodedError

describe('classifyActivationError', () => {
  it.each([
    [
      'error unwrapping secondary token: Post "https://10.0.104.139:8200/v1/sys/wrapping/unwrap": dial tcp 10.0.104.139:8200: i/o timeout',
      'SECONDARY_ERR_PRIMARY_API_UNREACHABLE',
      'timeout',
    ],
    [
      'error unwrapping secondary token: Post "https://p:8200/v1/sys/wrapping/unwrap": dial tcp 10.0.0.1:8200: connect: connection refused',
      'SECONDARY_ERR_PRIMARY_API_UNREACHABLE',
      'connection refused',
    ],
    [
      'error unwrapping secondary token: Post "https://vault.internal:8200/v1/sys/wrapping/unwrap": dial tcp: lookup vault.internal: no such host',
      'SECONDARY_ERR_PRIMARY_API_UNREACHABLE',
      'DNS failure',
    ],
    [
      'error unwrapping secondary token: Post "https://p:8200/v1/sys/wrapping/unwrap": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      'SECONDARY_ERR_PRIMARY_API_UNTRUSTED',
      'does not trust',
    ],
    [
      'error response unwrapping secondary token; status code is 400, message is "400 Bad Request"',
      'SECONDARY_ERR_TOKEN_REJECTED',
      'refused to unwrap',
    ],
    [
      'error fetching secondary bootstrap package: error authing for bootstrap: rpc error: code = Unavailable desc = all SubConns are in TransientFailure, latest connection error: connection error: desc = "transport: Error while dialing remote error: tls: internal error"',
      'SECONDARY_ERR_CLUSTER_PORT',
      'cluster port',
    ],
    [
      'error fetching secondary bootstrap package: error authing for bootstrap: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing read tcp 10.0.0.2:51234->10.0.0.1:8201: read: connection reset by peer"',
      'SECONDARY_ERR_CLUSTER_PORT',
      'cluster port',
    ],
  ])('maps Vault 500 %#', (message, code, inDetail) => {
    const err = classify(vaultSaid(500, message))
    expect(err.code).toBe(code)
    expect(err.message).toContain(inDetail)
    expect(err.upstream).toEqual({ service: 'vault', status: 500, errors: [message] })
    expect(err.fix).toBeTruthy()
  })

  it('maps the wrapping-token texts, a sealed Vault, ca_file trouble and anything else', () => {
    expect(classify(vaultSaid(400, 'wrapping token is not valid or does not exist')).code).toBe(
      'SECONDARY_ERR_TOKEN_REJECTED',
    )
    expect(classify(vaultSaid(400, 'error validating wrapping token: bad sig')).code).toBe(
      'SECONDARY_ERR_TOKEN_REJECTED',
    )
    expect(classify(vaultSaid(503, 'Vault is sealed')).code).toBe('SECONDARY_ERR_SEALED')
    expect(classify(vaultSaid(503)).code).toBe('SECONDARY_ERR_SEALED')
    expect(classify(vaultSaid(400, 'error reading CA file: ENOENT')).code).toBe('SECONDARY_ERR_CA_FILE')
    const other = classify(vaultSaid(400, 'something new in Vault 2.3'))
    expect(other.code).toBe('SECONDARY_ERR_ACTIVATION_FAILED')
    expect(other.upstream).toEqual({ service: 'vault', status: 400, errors: ['something new in Vault 2.3'] })
  })

  it('scrubs the token and its jti from what Vault said', () => {
    const err = classify(vaultSaid(500, `error unwrapping secondary token ${token}: jti ${jti} connection refused`))
    expect(err.code).toBe('SECONDARY_ERR_PRIMARY_API_UNREACHABLE')
    const wire = JSON.stringify({ message: err.message, upstream: err.upstream })
    expect(wire).not.toContain(token)
    expect(wire).not.toContain(jti)
    expect(wire).toContain('[REDACTED]')
    // The raw error (whose message quotes Vault) is not kept as the cause: it would reach the log.
    expect(err.cause).toBeUndefined()
  })

  it('keeps failures to reach the local Vault as they are, and leaves other errors alone', () => {
    const unreachable = VaultErrors.unreachable('POST /v1/sys/replication/dr/secondary/enable failed: ECONNREFUSED', {
      upstream: { service: 'vault', code: 'ECONNREFUSED' },
    })
    expect(classify(unreachable)).toBe(unreachable)
    const bug = new TypeError('a bug')
    expect(classifyActivationError(bug, token)).toBe(bug)
  })
})
