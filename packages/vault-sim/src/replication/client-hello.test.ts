import { createServer } from 'node:net'
import { connect } from 'node:tls'
import { describe, expect, it } from 'vitest'
import { offeredAlpn } from './client-hello.ts'

/** The first bytes a node TLS client sends (its ClientHello), offering `alpn`. */
async function clientHello(alpn?: string[]): Promise<Buffer> {
  const received: Buffer[] = []
  const server = createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk)
      const bytes = Buffer.concat(received)
      if (bytes.length >= 5 && bytes.length >= 5 + bytes.readUInt16BE(3)) socket.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => {
    const client = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(alpn && { ALPNProtocols: alpn }) })
    client.on('error', () => resolve())
    client.on('close', () => resolve())
  })
  await new Promise((resolve) => server.close(resolve))
  return Buffer.concat(received)
}

describe('offeredAlpn', () => {
  it('reads the protocols a real ClientHello offers, in order', async () => {
    expect(offeredAlpn(await clientHello(['replication_dr_v1', 'h2']))).toEqual(['replication_dr_v1', 'h2'])
  })

  it('answers an empty list for a ClientHello without ALPN', async () => {
    expect(offeredAlpn(await clientHello())).toEqual([])
  })

  it('waits for the rest of a record cut short, at any length', async () => {
    const hello = await clientHello(['replication_dr_v1'])
    for (const length of [0, 1, 4, 5, 40, hello.length - 1]) {
      expect(offeredAlpn(hello.subarray(0, length)), `${length} bytes`).toBeUndefined()
    }
  })

  it('answers null for bytes that are not a TLS ClientHello', () => {
    expect(offeredAlpn(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toBeNull()
    // A handshake record that is not a ClientHello (type 2, ServerHello), and one whose fields run past it.
    expect(offeredAlpn(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00]))).toBeNull()
    expect(offeredAlpn(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x06, 0x01, 0x00, 0x00, 0x02, 0x03, 0x03]))).toBeNull()
  })
})
