import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { ClusterHandle } from '../src/index.ts'
import { createCertificateAuthority } from '../src/replication/ca.ts'
import { drStatus, enablePrimary, secondaryToken, useClusters } from './helpers/clusters.ts'
import { probeClusterPort } from './helpers/tls-probe.ts'
import { vault } from './helpers/vault-http.ts'

const DR_ALPN = 'replication_dr_v1'

async function unwrappedCredentials(primary: ClusterHandle) {
  const token = await secondaryToken(primary, 'dc2')
  const unwrapped = await vault('POST', `${primary.apiUrl}/v1/sys/wrapping/unwrap`, { token })
  expect(unwrapped.status).toBe(200)
  return unwrapped.body.data as { client_cert_pem: string; client_key_pem: string; secondary_id: string }
}

const hello = (id: string) =>
  JSON.stringify({ type: 'hello', secondaryId: id, apiAddr: '', clusterAddr: '', merkleRoot: '', lastRemoteWal: 0 })

function tcpConnects(clusterUrl: string): Promise<boolean> {
  const { hostname, port } = new URL(clusterUrl)
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

describe('the mutual-TLS cluster port', () => {
  const start = useClusters()

  it('shows a cert-less client the certificate and ALPN of a DR primary under TLS 1.3, then rejects it', async () => {
    const primary = await start({ name: 'dc1' })
    await enablePrimary(primary)
    const seen = await probeClusterPort(primary.clusterUrl, { ALPNProtocols: [DR_ALPN] })
    expect(seen).toMatchObject({
      secureConnect: true,
      protocol: 'TLSv1.3',
      alpnProtocol: DR_ALPN,
      fingerprint256: primary.clusterCertFingerprint256,
      errorCode: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      firstLine: undefined,
    })
  })

  // Vault picks the TLS configuration from the ALPN offer; with no handler Go's crypto/tls sends internal_error.
  const refused = { secureConnect: false, errorCode: 'ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR', fingerprint256: undefined }

  it('has no replication handler unless the cluster is an unsealed Enterprise DR primary', async () => {
    const cluster = await start({ name: 'dc1' })
    expect(await tcpConnects(cluster.clusterUrl)).toBe(true)
    expect(await probeClusterPort(cluster.clusterUrl, { ALPNProtocols: [DR_ALPN] })).toMatchObject(refused)
    await enablePrimary(cluster)
    cluster.faults.seal()
    expect(await probeClusterPort(cluster.clusterUrl, { ALPNProtocols: [DR_ALPN] })).toMatchObject(refused)
    cluster.faults.unseal()
    cluster.faults.setEnterprise(false)
    expect(await probeClusterPort(cluster.clusterUrl, { ALPNProtocols: [DR_ALPN] })).toMatchObject(refused)
  })

  it('rejects clients offering only other protocols (h2, request forwarding) or none, before showing a certificate', async () => {
    const primary = await start({ name: 'dc1' })
    await enablePrimary(primary)
    for (const offer of [['h2'], ['http/1.1'], ['req_fw_sb-act_v1'], ['replication_v1'], undefined]) {
      const seen = await probeClusterPort(primary.clusterUrl, offer === undefined ? {} : { ALPNProtocols: offer })
      expect(seen, offer?.join() ?? 'no ALPN').toMatchObject(refused)
    }
  })

  it('answers a client that does not speak TLS as a TLS server does, without a replication session', async () => {
    const primary = await start({ name: 'dc1' })
    await enablePrimary(primary)
    const { hostname, port } = new URL(primary.clusterUrl)
    const answer = await new Promise<Buffer>((resolve) => {
      const socket = connect(Number(port), hostname, () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
      const chunks: Buffer[] = []
      socket.on('data', (chunk: Buffer) => chunks.push(chunk))
      socket.on('close', () => resolve(Buffer.concat(chunks)))
      socket.on('error', () => {})
    })
    expect(answer.toString('latin1')).not.toContain('HTTP/')
    expect((await drStatus(primary)).secondaries ?? []).toEqual([])
  })

  it('serves a secondary certificate from the primary CA, and nothing else', async () => {
    const primary = await start({ name: 'dc1' })
    await enablePrimary(primary)
    const credentials = await unwrappedCredentials(primary)
    const good = { cert: credentials.client_cert_pem, key: credentials.client_key_pem }

    const accepted = await probeClusterPort(primary.clusterUrl, {
      ...good,
      ALPNProtocols: [DR_ALPN],
      send: hello('dc2'),
    })
    expect(accepted.alpnProtocol).toBe(DR_ALPN)
    expect(JSON.parse(accepted.firstLine ?? '{}')).toMatchObject({ type: 'welcome', clusterId: expect.any(String) })

    // The right certificate but no ALPN at all: no handler, so the handshake fails before any session.
    const noAlpn = await probeClusterPort(primary.clusterUrl, { ...good, send: hello('dc2') })
    expect(noAlpn).toMatchObject({ ...refused, firstLine: undefined })

    // A self-made certificate claiming to be dc2: the handshake is rejected, nothing is served.
    const impostorCa = await createCertificateAuthority('not the replication CA')
    const impostor = await impostorCa.issue({ commonName: 'dc2', usage: 'client' })
    const rejected = await probeClusterPort(primary.clusterUrl, {
      cert: impostor.certPem,
      key: impostor.keyPem,
      ALPNProtocols: [DR_ALPN],
      send: hello('dc2'),
    })
    expect(rejected.firstLine).toBeUndefined()
    const status = await drStatus(primary)
    expect(status.secondaries?.map((s) => s.connection_status)).toEqual(['disconnected'])
  })

  it('closes and reopens on the same address', async () => {
    const primary = await start({ name: 'dc1' })
    await primary.faults.closeClusterListener()
    expect(await tcpConnects(primary.clusterUrl)).toBe(false)
    expect(primary.state().clusterListening).toBe(false)
    await primary.faults.reopenClusterListener()
    expect(await tcpConnects(primary.clusterUrl)).toBe(true)
  })
})
