import { describe, expect, it } from 'vitest'
import { CLI_FIXES, checkFix, cliFix } from '../src/cli-fixes.ts'

// What an operator at the CLI cannot type: HTTP routes, operationIds, request fields, Node's own flags.
const API_SPEAK = /\/v1\/|\b(GET|POST|DELETE) |revokeSecondary|probePrimary|activateDrSecondary|--use-system-ca|\/docs/

describe('fixes in the CLI’s terms', () => {
  it.each(Object.entries(CLI_FIXES))('%s names commands and variables, not the HTTP API', (_code, fix) => {
    expect(fix).not.toMatch(API_SPEAK)
  })

  it('replaces the gateway’s fix by code, and keeps the gateway’s for codes it does not know', () => {
    expect(cliFix('GATEWAY_ERR_HANDSHAKE_NOT_FOUND', 'List handshakes with GET /v1/handshakes.')).toBe(
      'List the handshakes with "vault-dr handshake list".',
    )
    expect(cliFix('VERSION_SKEW', 'Upgrade the secondary first.')).toBe('Upgrade the secondary first.')
    expect(cliFix('VERSION_SKEW', null)).toBeNull()
  })

  it('tells an agent the gateway does not trust, by the TLS code in the detail, from one that is down', () => {
    const generic = "Check the cluster's agent_url, that the agent runs, and the network between gateway and agent."
    const untrusted = 'primary-agent of cluster dc1 (status) could not be reached: UNABLE_TO_VERIFY_LEAF_SIGNATURE: …'
    expect(cliFix('GATEWAY_ERR_AGENT_UNREACHABLE', generic, untrusted)).toContain("the gateway's VAULT_DR_AGENT_CACERT")
    expect(
      cliFix('GATEWAY_ERR_AGENT_UNREACHABLE', generic, 'ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match'),
    ).toContain('does not name the host in agent_url')
    expect(cliFix('GATEWAY_ERR_AGENT_UNREACHABLE', generic, 'ECONNREFUSED: connect ECONNREFUSED')).toBe(generic)
  })

  it('says a primary not yet enabled needs nothing before a handshake, only where that is a warning', () => {
    const check = {
      code: 'DR_NOT_ENABLED',
      fix: 'Enable DR primary on it (sys/replication/dr/primary/enable).',
      detail: '',
    }
    expect(checkFix({ ...check, status: 'warn' })).toMatch(/^Nothing to do before a handshake/)
    expect(checkFix({ ...check, status: 'fail' })).toBe(check.fix)
  })
})
