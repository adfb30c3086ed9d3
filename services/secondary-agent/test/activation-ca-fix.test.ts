import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { activate, enablePrimary, mintToken, useHarness } from './helpers/harness.ts'

/**
 * Real Vault Enterprise reads the CA of the primary's API only from ca_file/ca_path, paths on the secondary's own
 * servers (fact sheet §2.7); ca_pem is an emulator extension. A fix that says "send ca_pem" sends operators of real
 * Vault in a circle, so the fixes name what works there: a file, via VAULT_DR_ACTIVATION_CA_FILE (or ca_file).
 */
describe("activation's CA fixes name what real Vault reads", () => {
  const h = useHarness()

  it('an untrusted primary API certificate: the fix says VAULT_DR_ACTIVATION_CA_FILE / ca_file, and following it works', async () => {
    const primary = await h.cluster({ tls: true })
    await enablePrimary(primary)
    const secondary = await h.cluster()
    const token = await mintToken(primary, 'dc2')

    const { app } = await h.agent(secondary)
    const untrusted = await activate(app, { token, confirm_wipe: true })
    expect(untrusted.statusCode).toBe(502)
    const problem = untrusted.json()
    expect(problem.code).toBe('SECONDARY_ERR_PRIMARY_API_UNTRUSTED')
    expect(problem.fix).toContain('VAULT_DR_ACTIVATION_CA_FILE')
    expect(problem.fix).toContain('ca_file')
    expect(problem.fix).not.toContain('ca_pem')

    // What the fix says: the CA as a file on the secondary's Vault server (here the emulator's own filesystem).
    const dir = await mkdtemp(join(tmpdir(), 'activation-ca-fix-'))
    h.defer(() => rm(dir, { recursive: true, force: true }))
    const caFile = join(dir, 'primary-api-ca.pem')
    await writeFile(caFile, primary.apiCaPem ?? '')
    const { app: configured } = await h.agent(secondary, { activationCaFile: caFile })
    const trusted = await activate(configured, { token, confirm_wipe: true })
    expect(trusted.statusCode, trusted.body).toBe(200)
  })

  it('a ca_file Vault cannot read: the fix says where the file must be, not ca_pem', async () => {
    const primary = await h.cluster({ tls: true })
    await enablePrimary(primary)
    const secondary = await h.cluster()
    const { app } = await h.agent(secondary, { activationCaFile: '/nonexistent/vault-dr/primary-ca.pem' })
    const res = await activate(app, { token: await mintToken(primary, 'dc2'), confirm_wipe: true })
    expect(res.statusCode).toBe(400)
    const problem = res.json()
    expect(problem.code).toBe('SECONDARY_ERR_CA_FILE')
    expect(problem.fix).toContain("secondary's Vault servers")
    expect(problem.fix).toContain('VAULT_DR_ACTIVATION_CA_FILE')
    expect(problem.fix).not.toContain('ca_pem')
    expect(secondary.state().drMode).toBe('disabled')
  })
})
