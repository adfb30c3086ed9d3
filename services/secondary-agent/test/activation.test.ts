import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ClusterHandle } from '@vault-dr/vault-sim'
import { describe, expect, it } from 'vitest'
import {
  API_TOKEN,
  AUTH,
  activate,
  drStatus,
  enablePrimary,
  mintToken,
  unwrap,
  useHarness,
  waitFor,
} from './helpers/harness.ts'
import { closedPort } from './helpers/net.ts'

const jtiOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti: string }).jti

async function expectUntouched(cluster: ClusterHandle) {
  expect((await drStatus(cluster)).mode).toBe('disabled')
  expect(cluster.state().drMode).toBe('disabled')
}

describe('POST /v1/dr/secondary/activate (activateDrSecondary)', () => {
  const h = useHarness()

  async function setup(options: { primaryTls?: boolean } = {}) {
    const primary = await h.cluster({ tls: options.primaryTls ?? false })
    await enablePrimary(primary)
    const secondary = await h.cluster()
    const { app, logs } = await h.agent(secondary)
    return { primary, secondary, app, logs }
  }

  it('activates after an inspect, streams WALs from the primary, and keeps every secret out of the logs', async () => {
    const { primary, secondary, app, logs } = await setup()
    const token = await mintToken(primary, 'dc2')

    const inspected = await app.inject({ method: 'POST', url: '/v1/tokens/inspect', headers: AUTH, payload: { token } })
    expect(inspected.json().lookup.valid).toBe(true)

    const res = await activate(app, { token, confirm_wipe: true })
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body.activated).toBe(true)
    expect(body.warnings.join(' ')).toContain('successfully found secondary information')
    expect(body.status.vault.reachable).toBe(true)
    expect(res.body).not.toContain(token)

    // The gateway's side: poll status until stream-wals, with a deadline.
    const primaryClusterId = (await drStatus(primary)).cluster_id
    const streaming = await waitFor('the secondary to stream WALs', async () => {
      const s = (await app.inject({ method: 'GET', url: '/v1/status', headers: AUTH })).json()
      return s.replication?.state === 'stream-wals' && s.replication?.connection_state === 'ready' ? s : undefined
    })
    expect(streaming.vault).toMatchObject({ reachable: true, health_code: 472, sealed: false, dr_mode: 'secondary' })
    expect(streaming.replication).toMatchObject({
      mode: 'secondary',
      cluster_id: primaryClusterId,
      secondary_id: 'dc2',
    })
    expect(streaming.replication.known_primary_cluster_addrs).toContain(primary.clusterUrl)
    expect(streaming.replication.primaries[0]).toMatchObject({
      api_address: primary.apiUrl,
      connection_status: 'connected',
    })
    primary.faults.write()
    await waitFor('a WAL to arrive', async () => {
      const s = (await app.inject({ method: 'GET', url: '/v1/status', headers: AUTH })).json()
      return (s.replication?.last_remote_wal ?? 0) > 0 ? true : undefined
    })

    // 472 is a normal answer for a DR secondary: ready. Vault serves no token paths on a DR secondary; its tokens are
    // the primary's, which serves plain http here: the agent's token is not sent there in clear, so it is unchecked.
    const ready = await app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(200)
    const tokenCheck = (await app.inject({ method: 'GET', url: '/v1/vault-token', headers: AUTH })).json()
    expect(tokenCheck).toMatchObject({ name: 'vault_token', status: 'pass', code: 'DR_SECONDARY' })
    expect(tokenCheck.detail).toContain('plain http')

    // Activating again is a conflict that names the current primary.
    const again = await activate(app, { token, confirm_wipe: true })
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('SECONDARY_ERR_ALREADY_SECONDARY')
    expect(again.json().detail).toContain('dc2')
    expect(again.body).not.toContain(token)

    for (const secret of [token, jtiOf(token), primary.rootToken, secondary.rootToken, API_TOKEN]) {
      expect(logs.text).not.toContain(secret)
    }
    expect(logs.text).toContain('activating this cluster as a DR secondary')
  })

  it('refuses without confirm_wipe: true, and leaves the cluster and the token untouched', async () => {
    const { primary, secondary, app } = await setup()
    const token = await mintToken(primary, 'dc2')
    for (const payload of [{ token }, { token, confirm_wipe: false }]) {
      const res = await activate(app, payload)
      expect(res.statusCode).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.json()).toMatchObject({ code: 'SECONDARY_ERR_WIPE_NOT_CONFIRMED', status: 400 })
      expect(res.json().fix).toContain('confirm_wipe')
    }
    await expectUntouched(secondary)
    const lookup = await app.inject({ method: 'POST', url: '/v1/tokens/inspect', headers: AUTH, payload: { token } })
    expect(lookup.json().lookup.valid).toBe(true)
  })

  it('maps a used token to SECONDARY_ERR_TOKEN_REJECTED and leaves the cluster disabled', async () => {
    const { primary, secondary, app, logs } = await setup()
    const token = await mintToken(primary, 'dc2')
    await unwrap(primary, token)
    const res = await activate(app, { token, confirm_wipe: true })
    expect(res.statusCode).toBe(400)
    const problem = res.json()
    expect(problem.code).toBe('SECONDARY_ERR_TOKEN_REJECTED')
    expect(problem.fix).toMatch(/mint a new one/)
    expect(problem.upstream.service).toBe('vault')
    expect(problem.upstream.status).toBe(500)
    expect(problem.upstream.errors.join(' ')).toContain('error response unwrapping secondary token')
    expect(res.body).not.toContain(token)
    expect(logs.text).not.toContain(token)
    await expectUntouched(secondary)
  })

  it('maps an unreachable primary API to SECONDARY_ERR_PRIMARY_API_UNREACHABLE', async () => {
    const { primary, secondary, app } = await setup()
    const token = await mintToken(primary, 'dc2')
    const port = await closedPort()
    const res = await activate(app, { token, confirm_wipe: true, primary_api_addr: `http://127.0.0.1:${port}` })
    expect(res.statusCode).toBe(502)
    const problem = res.json()
    expect(problem.code).toBe('SECONDARY_ERR_PRIMARY_API_UNREACHABLE')
    expect(problem.detail).toContain('connection refused')
    expect(problem.fix).toContain('8200')
    await expectUntouched(secondary)
  })

  it('maps an untrusted primary API certificate to SECONDARY_ERR_PRIMARY_API_UNTRUSTED, and activates with ca_pem', async () => {
    const { primary, secondary, app } = await setup({ primaryTls: true })
    const token = await mintToken(primary, 'dc2')
    const untrusted = await activate(app, { token, confirm_wipe: true })
    expect(untrusted.statusCode).toBe(502)
    expect(untrusted.json().code).toBe('SECONDARY_ERR_PRIMARY_API_UNTRUSTED')
    expect(untrusted.json().upstream.errors.join(' ')).toContain('x509')
    await expectUntouched(secondary)

    const trusted = await activate(app, { token, confirm_wipe: true, ca_pem: primary.apiCaPem })
    expect(trusted.statusCode, trusted.body).toBe(200)
  })

  it("checks its token, once a DR secondary, at the primary's API where its tokens live", async () => {
    const primary = await h.cluster({ tls: true })
    await enablePrimary(primary)
    const secondary = await h.cluster()
    const { app } = await h.agent(secondary, { primaryCaPem: primary.apiCaPem })
    const activated = await activate(app, {
      token: await mintToken(primary, 'dc2'),
      confirm_wipe: true,
      ca_pem: primary.apiCaPem,
    })
    expect(activated.statusCode, activated.body).toBe(200)
    await waitFor('the secondary to stream WALs', async () =>
      secondary.state().drState === 'stream-wals' ? true : undefined,
    )
    // Its own token was wiped with the cluster's data: the primary refuses it (after a promote the agent could not
    // act). Readiness holds: a promote needs no token of the agent's own.
    const wiped = (await app.inject({ method: 'GET', url: '/v1/vault-token', headers: AUTH })).json()
    expect(wiped).toMatchObject({
      status: 'fail',
      code: 'TOKEN_REFUSED',
      checked_at_primary: primary.apiUrl,
      detail: expect.stringContaining(`checked at the primary's API ${primary.apiUrl}`),
    })
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
    // An agent given a token made on the primary, as the README says to: it passes there.
    const { app: rightToken } = await h.agent(secondary, {
      primaryCaPem: primary.apiCaPem,
      vaultToken: primary.rootToken,
    })
    const good = (await rightToken.inject({ method: 'GET', url: '/v1/vault-token', headers: AUTH })).json()
    expect(good).toMatchObject({ status: 'pass', code: 'OK', checked_at_primary: primary.apiUrl })
    // The primary away: the secondary's own answer, unknown rather than failed, saying why; still ready.
    await primary.faults.isolate('refuse')
    const { app: later } = await h.agent(secondary, { primaryCaPem: primary.apiCaPem, vaultToken: primary.rootToken })
    const away = (await later.inject({ method: 'GET', url: '/v1/vault-token', headers: AUTH })).json()
    expect(away).toMatchObject({ status: 'pass', code: 'DR_SECONDARY' })
    expect(away.detail).toContain('not checked at the primary')
    expect((await later.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
    await primary.faults.rejoin()
  })

  it('passes VAULT_DR_ACTIVATION_CA_FILE to Vault as ca_file when the request brings no CA', async () => {
    const primary = await h.cluster({ tls: true })
    await enablePrimary(primary)
    const secondary = await h.cluster()
    const dir = await mkdtemp(join(tmpdir(), 'activation-ca-'))
    h.defer(() => rm(dir, { recursive: true, force: true }))
    const caFile = join(dir, 'primary-ca.pem')
    await writeFile(caFile, primary.apiCaPem ?? '')
    const { app } = await h.agent(secondary, { activationCaFile: caFile })
    const res = await activate(app, { token: await mintToken(primary, 'dc2'), confirm_wipe: true })
    expect(res.statusCode, res.body).toBe(200)
    expect(secondary.state().drMode).not.toBe('disabled')
  })

  it('maps a closed cluster port to SECONDARY_ERR_CLUSTER_PORT', async () => {
    const { primary, app } = await setup()
    const token = await mintToken(primary, 'dc2')
    await primary.faults.closeClusterListener()
    const res = await activate(app, { token, confirm_wipe: true })
    expect(res.statusCode).toBe(502)
    const problem = res.json()
    expect(problem.code).toBe('SECONDARY_ERR_CLUSTER_PORT')
    expect(problem.upstream.errors.join(' ')).toContain('error fetching secondary bootstrap package')
    expect(problem.fix).toContain('8201')
  })

  it('refuses a DR primary (409), a sealed cluster (503) and a token without address (400)', async () => {
    const { primary, secondary, app } = await setup()
    const token = await mintToken(primary, 'dc2')

    const { app: primaryAgent } = await h.agent(primary)
    const onPrimary = await activate(primaryAgent, { token, confirm_wipe: true })
    expect(onPrimary.statusCode).toBe(409)
    expect(onPrimary.json().code).toBe('SECONDARY_ERR_IS_PRIMARY')

    secondary.faults.seal()
    const sealed = await activate(app, { token, confirm_wipe: true })
    expect(sealed.statusCode).toBe(503)
    expect(sealed.json().code).toBe('SECONDARY_ERR_SEALED')
    secondary.faults.unseal()

    const noAddrPrimary = await h.cluster({ apiAdvertiseAddr: '' })
    await enablePrimary(noAddrPrimary)
    const noAddrToken = await mintToken(noAddrPrimary, 'dc2')
    const noAddr = await activate(app, { token: noAddrToken, confirm_wipe: true })
    expect(noAddr.statusCode).toBe(400)
    expect(noAddr.json().code).toBe('SECONDARY_ERR_NO_PRIMARY_ADDR')
    await expectUntouched(secondary)
  })

  it("answers the Vault error of why this cluster's status could not be read, with its fix", async () => {
    const { primary } = await setup()
    const token = await mintToken(primary, 'dc2')

    // A Vault whose certificate the agent cannot verify: the fix is VAULT_CACERT, not VAULT_ADDR.
    const tlsSecondary = await h.cluster({ tls: true })
    const { app: untrusting } = await h.agent({ ...tlsSecondary, apiCaPem: primary.apiCaPem ?? 'no CA' })
    const untrusted = await activate(untrusting, { token, confirm_wipe: true })
    expect(untrusted.statusCode).toBe(502)
    expect(untrusted.headers['content-type']).toContain('application/problem+json')
    expect(untrusted.json()).toMatchObject({ code: 'VAULT_ERR_TLS', upstream: { service: 'vault' } })
    expect(untrusted.json().fix).toContain('VAULT_CACERT')
    await expectUntouched(tlsSecondary)

    // A stopped Vault: unreachable, check VAULT_ADDR.
    const stopped = await h.cluster()
    const { app } = await h.agent(stopped)
    await stopped.faults.stop()
    const unreachable = await activate(app, { token, confirm_wipe: true })
    expect(unreachable.statusCode).toBe(502)
    expect(unreachable.json().code).toBe('VAULT_ERR_UNREACHABLE')
    expect(unreachable.json().fix).toContain('VAULT_ADDR')
    await stopped.faults.start()
    await expectUntouched(stopped)

    const lookup = await h.agent(await h.cluster())
    const inspected = await lookup.app.inject({
      method: 'POST',
      url: '/v1/tokens/inspect',
      headers: AUTH,
      payload: { token },
    })
    expect(inspected.json().lookup.valid).toBe(true)
  })

  it('refuses bad input with 400/413 naming the field, changing nothing', async () => {
    const { primary, secondary, app, logs } = await setup()
    const token = await mintToken(primary, 'dc2')
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ token: 'x.y.z', confirm_wipe: true }, 'body/token'],
      [{ token: `${token}x!`, confirm_wipe: true }, 'body/token'],
      [{ confirm_wipe: true }, 'body/token'],
      [{ token, confirm_wipe: 'yes' }, 'body/confirm_wipe'],
      [{ token, confirm_wipe: true, primary_api_addr: 'ftp://127.0.0.1:8200' }, 'body/primary_api_addr'],
      [{ token, confirm_wipe: true, primary_api_addr: 'https://127.0.0.1:99999' }, 'body/primary_api_addr'],
      [{ token, confirm_wipe: true, primary_api_addr: 'https://127.0.0.1:0' }, 'body/primary_api_addr'],
      [{ token, confirm_wipe: true, primary_api_addr: 'https://127.0.0.1:8200/v1' }, 'body/primary_api_addr'],
      [{ token, confirm_wipe: true, ca_file: 'relative/ca.pem' }, 'body/ca_file'],
      [{ token, confirm_wipe: true, ca_file: '/etc/ca.pem', ca_pem: primary.apiCaPem ?? 'x' }, 'body/ca_pem'],
      [{ token, confirm_wipe: true, bogus: 1 }, 'body/bogus'],
      [{ token, confirm_wipe: true, ca_fle: '/etc/ca.pem' }, 'body/ca_fle'],
    ]
    for (const [payload, field] of cases) {
      const res = await activate(app, payload)
      expect(res.statusCode, JSON.stringify(payload).slice(0, 120)).toBe(400)
      const problem = res.json()
      expect(problem.code).toBe('CORE_ERR_VALIDATION')
      expect(problem.errors.map((e: { path: string }) => e.path)).toContain(field)
      expect(res.body).not.toContain(token)
    }
    const huge = await activate(app, { token, confirm_wipe: true, padding: 'x'.repeat(70_000) })
    expect(huge.statusCode).toBe(413)
    expect(logs.text).not.toContain(token)
    await expectUntouched(secondary)
  })
})
