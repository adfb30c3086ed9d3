import tls from 'node:tls'
import { DR_ALPN } from '../messages.ts'
import { parseHostPort } from '../options.ts'
import type { SecondaryCredentials } from '../state.ts'
import { goNetworkCause, timeoutError } from './go-errors.ts'
import { type HelloMessage, type PrimaryMessage, readMessages, sendMessage, type WelcomeMessage } from './protocol.ts'

/** An authenticated replication connection to the primary, past the bootstrap exchange. */
export interface PrimaryConnection {
  socket: tls.TLSSocket
  /** What this end said it held when it dialled: a resume the primary granted holds only while that is still so. */
  hello: Omit<HelloMessage, 'type'>
  welcome: WelcomeMessage
  /** Sets the receiver of every later message; messages that arrived before are delivered first. */
  onMessage(handler: (message: PrimaryMessage) => void): void
  address: string
}

/** Thrown when no primary cluster address accepted us; `cause` is already in Go/gRPC wording. */
export class DialError extends Error {
  override name = 'DialError'
}

export interface DialOptions {
  credentials: SecondaryCredentials
  addrs: string[]
  hello: Omit<HelloMessage, 'type'>
  timeoutMs: number
}

/** Tries each primary cluster address in turn: mutual TLS + ALPN replication_dr_v1, then hello/welcome. */
export async function dialPrimary(options: DialOptions): Promise<PrimaryConnection> {
  let lastCause = 'no primary cluster address known'
  for (const address of options.addrs) {
    try {
      return await dialOne(address, options)
    } catch (err) {
      lastCause = err instanceof DialError ? err.message : String(err)
    }
  }
  throw new DialError(lastCause)
}

function dialOne(address: string, { credentials, hello, timeoutMs }: DialOptions): Promise<PrimaryConnection> {
  const { host, port } = parseHostPort(address)
  return new Promise((resolve, reject) => {
    const socket = connectToPrimary(host, port, credentials)
    let settled = false
    const queued: PrimaryMessage[] = []
    let handler: ((message: PrimaryMessage) => void) | undefined
    const fail = (cause: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      reject(new DialError(`connection error: desc = "transport: Error while dialing ${cause}"`))
    }
    const timer = setTimeout(() => fail(goNetworkCause(timeoutError('dial'), host, port)), timeoutMs)
    socket.once('secureConnect', () => sendMessage(socket, { type: 'hello', ...hello }))
    socket.on('error', (err) => fail(goNetworkCause(err, host, port)))
    socket.once('close', () => fail('EOF'))
    readMessages<PrimaryMessage>(socket, (message) => {
      if (settled) {
        if (handler) handler(message)
        else queued.push(message)
        return
      }
      if (message.type === 'refused') return fail(`remote error: ${message.message}`)
      if (message.type !== 'welcome') return fail('unexpected message before bootstrap')
      settled = true
      clearTimeout(timer)
      resolve({
        socket,
        hello,
        welcome: message,
        address,
        onMessage(next) {
          handler = next
          for (const early of queued.splice(0)) next(early)
        },
      })
    })
  })
}

/**
 * update_primary_addrs' ping (D8): a mutual-TLS handshake with ALPN replication_dr_v1 and nothing more, so the
 * primary's live stream to this secondary is left alone. Rejects with a Go-worded cause.
 */
export function pingPrimary(address: string, credentials: SecondaryCredentials, timeoutMs: number): Promise<void> {
  const { host, port } = parseHostPort(address)
  return new Promise((resolve, reject) => {
    const socket = connectToPrimary(host, port, credentials)
    const timer = setTimeout(() => settle(goNetworkCause(timeoutError('dial'), host, port)), timeoutMs)
    const settle = (cause?: string) => {
      clearTimeout(timer)
      socket.destroy()
      if (cause === undefined) resolve()
      else reject(new DialError(cause))
    }
    socket.once('secureConnect', () => (socket.alpnProtocol === DR_ALPN ? settle() : settle('no replication ALPN')))
    socket.on('error', (err) => settle(goNetworkCause(err, host, port)))
  })
}

/** Mutual TLS to a primary's cluster port with the secondary's credentials, asking for the DR protocol. */
function connectToPrimary(host: string, port: number, credentials: SecondaryCredentials): tls.TLSSocket {
  return tls.connect({
    host,
    port,
    ALPNProtocols: [DR_ALPN],
    cert: credentials.clientCertPem,
    key: credentials.clientKeyPem,
    ca: credentials.primaryClusterCaPem,
    // The primary's cluster cert names no host (CN fw-<uuid>): trust comes from pinning it as the only CA.
    checkServerIdentity: () => undefined,
  })
}
