import { createServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestPki } from '../../test/helpers/certs.ts'
import { closedPort, closeServer, listenLocal, trackSockets } from '../../test/helpers/net.ts'
import { VaultClient } from '../vault/vault-client.ts'
import { readClusterStatus, statusReadError } from './cluster-status.ts'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))
})

/** A Vault that answers sys/health and sys/replication/dr/status with fixed statuses and bodies. */
async function fakeVault(
  answers: Record<string, [number, unknown]>,
  server: Server = createServer(),
  scheme = 'http',
): Promise<string> {
  const sockets = trackSockets(server)
  server.on('request', (req, res) => {
    const [status, body] = answers[req.url?.split('?')[0] ?? ''] ?? [404, { errors: [] }]
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  })
  const port = await listenLocal(server)
  cleanups.push(() => closeServer(server, sockets))
  return `${scheme}://127.0.0.1:${port}`
}

function vaultAt(addr: string) {
  const vault = new VaultClient({ addr, token: 'hvs.test', timeoutMs: 2_000, retryBaseMs: 5 })
  cleanups.push(() => vault.close())
  return vault
}

const HEALTHY = { initialized: true, sealed: false, standby: false, version: '1.17.3+ent' }

describe('readClusterStatus keeps why a read failed (statusReadError)', () => {
  it('nothing when Vault answered both reads', async () => {
    const addr = await fakeVault({
      '/v1/sys/health': [200, HEALTHY],
      '/v1/sys/replication/dr/status': [200, { data: { mode: 'primary', state: 'running' } }],
    })
    const status = await readClusterStatus(vaultAt(addr))
    expect(status.replication?.mode).toBe('primary')
    expect(statusReadError(status)).toBeUndefined()
  })

  it('VAULT_ERR_UNREACHABLE for a closed port, with the fix to check VAULT_ADDR', async () => {
    const status = await readClusterStatus(vaultAt(`http://127.0.0.1:${await closedPort()}`))
    expect(status).toMatchObject({ vault: { reachable: false }, replication: null })
    const err = statusReadError(status)
    expect(err?.code).toBe('VAULT_ERR_UNREACHABLE')
    expect(err?.fix).toContain('VAULT_ADDR')
  })

  it('VAULT_ERR_SEALED for a sealed Vault, whose sys/health still answers', async () => {
    const addr = await fakeVault({
      '/v1/sys/health': [503, { ...HEALTHY, sealed: true }],
      '/v1/sys/replication/dr/status': [503, { errors: ['Vault is sealed'] }],
    })
    const status = await readClusterStatus(vaultAt(addr))
    expect(status).toMatchObject({ vault: { reachable: true, sealed: true }, replication: null })
    expect(statusReadError(status)?.code).toBe('VAULT_ERR_SEALED')
  })

  it('VAULT_ERR_TLS for a certificate it cannot verify, with the fix to set VAULT_CACERT', async () => {
    const pki = await createTestPki()
    const server = createHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem })
    const addr = await fakeVault({ '/v1/sys/health': [200, HEALTHY] }, server, 'https')
    const status = await readClusterStatus(vaultAt(addr))
    expect(status.vault.reachable).toBe(false)
    const err = statusReadError(status)
    expect(err?.code).toBe('VAULT_ERR_TLS')
    expect(err?.fix).toContain('VAULT_CACERT')
  })
})
