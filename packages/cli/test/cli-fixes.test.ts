import { describe, expect, it } from 'vitest'
import { CLI_FIXES, checkFix, cliFix, inCliWords } from '../src/cli-fixes.ts'
import { inCliTerms } from '../src/request-fields.ts'

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

  it('names the command for the operations of a cluster', () => {
    expect(inCliWords('the newest operation on it (GET /v1/operations?cluster=<name>).')).toBe(
      'the newest operation on it ("vault-dr operations list --cluster <name>").',
    )
  })

  it('fills the id of the operation or handshake in the way, named by the detail, into the commands of its fix', () => {
    const busy = cliFix(
      'GATEWAY_ERR_CLUSTER_BUSY',
      null,
      'Operation 5f0c-77 (switchover) is running and holds cluster dc1',
    )
    expect(busy).toContain('"vault-dr operations follow 5f0c-77"')
    expect(busy).toContain('"vault-dr operations cancel 5f0c-77"')
    const inUse = cliFix(
      'GATEWAY_ERR_CLUSTER_IN_USE',
      null,
      'Cluster dc2 is part of unfinished drill 9a1-b: its role cannot change until that ends (its agent_url and agent_token can)',
    )
    expect(inUse).toContain('"vault-dr operations cancel 9a1-b"')
    expect(inUse).toContain('"vault-dr operations list --cluster dc2"')
    const handshake = cliFix('GATEWAY_ERR_HANDSHAKE_IN_PROGRESS', null, 'Handshake hs-3 for secondary dc2 is running')
    expect(handshake).toContain('"vault-dr handshake follow hs-3"')
    // A detail that names none keeps the placeholders.
    expect(cliFix('GATEWAY_ERR_CLUSTER_BUSY', null, 'busy')).toContain('"vault-dr operations cancel <id>"')
  })

  it('tells to ask again for the kind of operation that was cancelled, with what its undo adds', () => {
    const again = (kind: string, route: string) =>
      cliFix('GATEWAY_ERR_CANCELLED', `Ask for the ${kind} again (POST ${route}) when it is wanted. Then check dc1.`)
    expect(again('switchover', '/v1/switchovers')).toBe(
      'Ask for the switchover again ("vault-dr switchover --to <secondary>") when it is wanted. Then check dc1.',
    )
    expect(again('handshake', '/v1/handshakes')).toContain(
      '"vault-dr handshake start --primary <name> --secondary <name>"',
    )
    expect(again('drill', '/v1/drills')).toContain('"vault-dr drill --to <secondary> --hold <duration>"')
    expect(again('failover', '/v1/failovers')).toContain('"vault-dr failover --to <secondary>"')
    expect(again('rejoin', '/v1/rejoins')).toContain('"vault-dr rejoin <old-primary>"')
    expect(inCliWords('Ask for the pair by its secondary: GET /v1/pairs/dc1.')).toBe(
      'Ask for the pair by its secondary: "vault-dr pairs show dc1".',
    )
    expect(inCliWords('plan it first (POST /v1/switchovers/plan)')).toBe(
      'plan it first ("vault-dr switchover --to <secondary> --dry-run")',
    )
  })

  it('tells an agent the gateway does not trust, by the TLS code in the detail, from one that is down', () => {
    const generic = "Check the cluster's agent_url, that the agent runs, and the network between gateway and agent."
    const untrusted = 'primary-agent of cluster dc1 (status) could not be reached: UNABLE_TO_VERIFY_LEAF_SIGNATURE: …'
    expect(cliFix('GATEWAY_ERR_AGENT_UNREACHABLE', generic, untrusted)).toContain("the gateway's VAULT_DR_AGENT_CACERT")
    expect(
      cliFix('GATEWAY_ERR_AGENT_UNREACHABLE', generic, 'ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match'),
    ).toContain('does not name the host in agent_url')
    expect(cliFix('GATEWAY_ERR_AGENT_UNREACHABLE', generic, 'ECONNREFUSED: connect ECONNREFUSED')).toBe(
      "Check the cluster's agent URL (vault-dr clusters add --agent-url), that the agent runs, and the network between gateway and agent.",
    )
  })

  it("puts the gateway's routes and fields in the CLI's words, without saying a command twice", () => {
    expect(inCliWords('list them with GET /v1/pairs.')).toBe('list them with "vault-dr pairs list".')
    expect(inCliWords('deregister it (DELETE /v1/clusters/dc3): it could not be re-pointed')).toBe(
      'deregister it ("vault-dr clusters remove dc3"): it could not be re-pointed',
    )
    expect(inCliWords('Read GET /v1/pairs/{secondary}/readiness, then raise max_lag_wals or down_for')).toBe(
      'Read "vault-dr pairs show <secondary>", then raise --max-lag-wals or --down-for',
    )
    expect(inCliWords('Name as `to` a DR secondary, as `from` its primary; pass primary_api_addr')).toBe(
      'Name as --to a DR secondary, as --from its primary; pass --primary-api-addr',
    )
    expect(inCliWords('read both clusters (GET /v1/clusters/{name}) and make sure')).toBe(
      'read both clusters ("vault-dr clusters status <name>") and make sure',
    )
    // Words that only look like fields are left alone.
    expect(inCliWords('hold on: the secondary goes to stream-wals')).toBe('hold on: the secondary goes to stream-wals')
  })

  it('names an invalid request field as the operator gave it: an option, an argument or a variable', () => {
    expect(inCliTerms('Invalid body/hold, querystring/max_lag_wals: too long')).toBe(
      'Invalid --hold, --max-lag-wals: too long',
    )
    expect(inCliTerms('Invalid params/secondary')).toBe('Invalid the <secondary> argument')
    expect(inCliTerms('Invalid body/cluster')).toBe('Invalid the cluster argument')
    expect(inCliTerms('Invalid body/skip_checks/0, body/token_ttl, body/agent_token')).toBe(
      'Invalid --skip-check, --ttl, VAULT_DR_AGENT_TOKEN_FILE (or VAULT_DR_AGENT_TOKEN)',
    )
    expect(inCliTerms('Invalid body/no_such_field')).toBe('Invalid body/no_such_field')
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
