import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { closeServer, listenLocal, trackSockets } from '../../test/helpers/net.ts'
import { diagnoseConnection } from './diagnosis.ts'
import { DR_REPLICATION_ALPN, probeTls } from './tls-probe.ts'

const servers: Array<{ server: Server; sockets: Set<Socket> }> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map(({ server, sockets }) => closeServer(server, sockets)))
})

/** A listener that answers every ClientHello with one fatal TLS alert, as Go's crypto/tls does before ServerHello. */
async function alertingListener(description: number): Promise<number> {
  const server = createServer((socket) => {
    socket.once('data', () => socket.end(Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, description])))
    socket.on('error', () => {})
  })
  servers.push({ server, sockets: trackSockets(server) })
  return listenLocal(server)
}

async function diagnoseAlert(description: number) {
  const port = await alertingListener(description)
  const result = await probeTls({ host: '127.0.0.1', port, timeoutMs: 2_000, alpn: [DR_REPLICATION_ALPN] })
  if (result.ok) throw new Error('the handshake should have failed')
  return diagnoseConnection(result.failure, 'the cluster port', `127.0.0.1:${port}`)
}

describe('diagnoseConnection on a cluster port', () => {
  it("reads Vault's internal_error alert (no handler for replication_dr_v1) as DR not enabled, naming standbys", async () => {
    const diagnosis = await diagnoseAlert(80)
    expect(diagnosis.code).toBe('DR_NOT_ENABLED')
    expect(diagnosis.detail).toContain('ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR')
    expect(diagnosis.fix).toContain('standby')
  })

  it('reads a no_application_protocol alert the same way', async () => {
    expect((await diagnoseAlert(120)).code).toBe('DR_NOT_ENABLED')
  })

  it('keeps other handshake failures apart (handshake_failure)', async () => {
    const diagnosis = await diagnoseAlert(40)
    expect(diagnosis.code).toBe('TLS_HANDSHAKE_FAILED')
    expect(diagnosis.detail).toContain('HANDSHAKE_FAILURE')
  })
})
