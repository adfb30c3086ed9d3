import { describe, expect, it } from 'vitest'
import { classifyVaultError } from './classify-vault-error.ts'
import { deniedCapability } from './denied-fix.ts'

describe('a 403 names the path and capability Vault refused', () => {
  it('sudo beside update on the root-protected secondary-token path', () => {
    expect(deniedCapability('POST /v1/sys/replication/dr/primary/secondary-token')).toEqual({
      path: 'sys/replication/dr/primary/secondary-token',
      capabilities: ['update', 'sudo'],
    })
    const err = classifyVaultError(403, ['permission denied'], 'POST /v1/sys/replication/dr/primary/secondary-token')
    expect(err.code).toBe('VAULT_ERR_PERMISSION_DENIED')
    expect(err.fix).toContain('path "sys/replication/dr/primary/secondary-token" { capabilities = ["update", "sudo"] }')
  })

  it('update alone on the enable paths, read on a GET, and the token named as the other suspect', () => {
    const enable = classifyVaultError(403, ['permission denied'], 'POST /v1/sys/replication/dr/secondary/enable')
    expect(enable.fix).toContain('Vault refused update on sys/replication/dr/secondary/enable')
    expect(enable.fix).toContain('wrong, expired or revoked')
    expect(enable.fix).not.toContain('sudo')
    expect(deniedCapability('GET /v1/sys/replication/dr/status')).toEqual({
      path: 'sys/replication/dr/status',
      capabilities: ['read'],
    })
  })
})
