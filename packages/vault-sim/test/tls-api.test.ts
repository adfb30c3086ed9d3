import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  drStatus,
  enablePrimary,
  enableSecondary,
  secondaryToken,
  useClusters,
  waitForStreaming,
} from './helpers/clusters.ts'
import { vault } from './helpers/vault-http.ts'

describe('TLS on the API listener', () => {
  const start = useClusters()

  it('serves https with a generated CA, and activation verifies the primary with ca_pem', async () => {
    const primary = await start({ name: 'dc1', tls: true })
    const secondary = await start({ name: 'dc2', tls: true })
    expect(primary.apiUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(primary.apiCaPem).toContain('BEGIN CERTIFICATE')
    expect((await vault('GET', `${primary.apiUrl}/v1/sys/health`, { caPem: primary.apiCaPem })).status).toBe(200)
    await expect(vault('GET', `${primary.apiUrl}/v1/sys/health`)).rejects.toThrow()

    await enablePrimary(primary)
    const token = await secondaryToken(primary, 'dc2')
    const untrusted = await enableSecondary(secondary, { token })
    expect(untrusted.status).toBe(500)
    expect(untrusted.body.errors).toEqual([
      `error unwrapping secondary token: Post "${primary.apiUrl}/v1/sys/wrapping/unwrap": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
    ])

    const trusted = await enableSecondary(secondary, { token, ca_pem: primary.apiCaPem })
    expect(trusted.status).toBe(200)
    await waitForStreaming(secondary)
    expect((await drStatus(secondary)).cluster_id).toBe((await drStatus(primary)).cluster_id)
  })

  it('reads ca_file from the secondary host', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vault-sim-'))
    try {
      const primary = await start({ name: 'dc1', tls: true })
      const secondary = await start({ name: 'dc2' })
      const caFile = join(dir, 'primary-ca.pem')
      await writeFile(caFile, primary.apiCaPem ?? '')
      await enablePrimary(primary)
      const token = await secondaryToken(primary, 'dc2')
      const missing = await enableSecondary(secondary, { token, ca_file: join(dir, 'nope.pem') })
      expect(missing.status).toBe(400)
      expect((await enableSecondary(secondary, { token, ca_file: caFile })).status).toBe(200)
      await waitForStreaming(secondary)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
