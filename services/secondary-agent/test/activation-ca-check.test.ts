import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Agent, AUTH, enablePrimary, useHarness } from './helpers/harness.ts'

interface Check {
  name: string
  status: string
  code: string
  detail: string
  fix: string | null
}

async function activationCa(app: Agent, apiAddr: string, clusterAddr: string): Promise<Check | undefined> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/probes/primary',
    headers: AUTH,
    payload: { api_addr: apiAddr, cluster_addrs: [clusterAddr] },
  })
  expect(res.statusCode).toBe(200)
  return (res.json().checks as Check[]).find((c) => c.name === 'activation_ca')
}

describe("activation_ca: will the secondary's Vault trust the primary's API certificate when it unwraps", () => {
  const h = useHarness()

  async function pemFile(name: string, pem: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'activation-ca-check-'))
    h.defer(() => rm(dir, { recursive: true, force: true }))
    const path = join(dir, name)
    await writeFile(path, pem)
    return path
  }

  async function tlsPrimary() {
    const primary = await h.cluster({ tls: true })
    await enablePrimary(primary)
    return primary
  }

  it('fails without VAULT_DR_ACTIVATION_CA_FILE when the system roots do not verify it, naming the variable', async () => {
    const primary = await tlsPrimary()
    const { app } = await h.agent(await h.cluster(), { primaryCaPem: primary.apiCaPem as string })
    const check = await activationCa(app, primary.apiUrl, primary.clusterUrl)
    expect(check).toMatchObject({ status: 'fail', code: 'ACTIVATION_CA_MISSING' })
    expect(check?.detail).toContain('VAULT_DR_ACTIVATION_CA_FILE is not set')
    expect(check?.fix).toContain('VAULT_DR_ACTIVATION_CA_FILE')
  })

  it('fails when the file holds another CA, and passes with the right one', async () => {
    const primary = await tlsPrimary()
    const stranger = await h.cluster({ tls: true })
    const wrong = await h.agent(await h.cluster(), {
      primaryCaPem: primary.apiCaPem as string,
      activationCaFile: await pemFile('other-ca.pem', stranger.apiCaPem as string),
    })
    const refused = await activationCa(wrong.app, primary.apiUrl, primary.clusterUrl)
    expect(refused).toMatchObject({ status: 'fail', code: 'ACTIVATION_CA_UNTRUSTED' })
    expect(refused?.detail).toContain('other-ca.pem')

    const right = await h.agent(await h.cluster(), {
      primaryCaPem: primary.apiCaPem as string,
      activationCaFile: await pemFile('primary-ca.pem', primary.apiCaPem as string),
    })
    expect(await activationCa(right.app, primary.apiUrl, primary.clusterUrl)).toMatchObject({
      status: 'pass',
      code: 'OK',
    })
  })

  it('warns when the file is not readable from the agent (it is a path on the Vault servers)', async () => {
    const primary = await tlsPrimary()
    const { app } = await h.agent(await h.cluster(), {
      primaryCaPem: primary.apiCaPem as string,
      activationCaFile: '/nonexistent/vault-dr/primary-ca.pem',
    })
    const check = await activationCa(app, primary.apiUrl, primary.clusterUrl)
    expect(check).toMatchObject({ status: 'warn', code: 'ACTIVATION_CA_NOT_CHECKED' })
    expect(check?.detail).toContain('ENOENT')
  })

  it('is not run for a plain-http primary API (nothing to trust; api_tls warns of it)', async () => {
    const primary = await h.cluster()
    await enablePrimary(primary)
    const { app } = await h.agent(await h.cluster())
    expect(await activationCa(app, primary.apiUrl, primary.clusterUrl)).toBeUndefined()
  })
})
