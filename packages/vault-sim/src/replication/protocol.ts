// The emulator's replication protocol on the mutual-TLS cluster connection: newline-delimited JSON.
// Real Vault speaks gRPC here; only the observable effects (status fields, WAL/merkle progress) matter.

import type { TLSSocket } from 'node:tls'
import type { StorageSnapshot, WalEntry } from '../storage.ts'

export interface HelloMessage {
  type: 'hello'
  secondaryId: string
  apiAddr: string
  clusterAddr: string
  merkleRoot: string
  lastRemoteWal: number
}

/** The bootstrap package: the replication set, where the primary lives, and (when out of sync) its data. */
export interface WelcomeMessage {
  type: 'welcome'
  clusterId: string
  primaryApiAddr: string
  primaryClusterAddrs: string[]
  lastWal: number
  merkleRoot: string
  snapshot: StorageSnapshot | null
}

export type PrimaryMessage =
  | WelcomeMessage
  | { type: 'wal'; entry: WalEntry }
  | { type: 'heartbeat'; lastWal: number; merkleRoot: string; sentAt: number }
  | { type: 'refused'; message: string }

export type SecondaryMessage = HelloMessage | { type: 'heartbeat'; sentAt: number }

/** How long a heartbeat took to arrive, from its send time (both ends share a clock on one host). */
export function heartbeatDurationMs(sentAt: number | undefined): number {
  return typeof sentAt === 'number' ? Math.max(0, Date.now() - sentAt) : 0
}

export function sendMessage(socket: TLSSocket, message: PrimaryMessage | SecondaryMessage): void {
  if (socket.writable) socket.write(`${JSON.stringify(message)}\n`)
}

/** Calls `onMessage` for every complete JSON line; a malformed line ends the connection. */
export function readMessages<T>(socket: TLSSocket, onMessage: (message: T) => void): void {
  let buffered = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffered += chunk
    let newline = buffered.indexOf('\n')
    while (newline >= 0) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      newline = buffered.indexOf('\n')
      if (line.trim() === '') continue
      let message: T
      try {
        message = JSON.parse(line) as T
      } catch {
        socket.destroy()
        return
      }
      onMessage(message)
    }
  })
}

/**
 * Gives a silent peer up after `timeoutMs` without a message. Checked again after the event loop's I/O phase, so a
 * stalled process does not mistake data still waiting in its socket for silence.
 */
export function closeIfSilent(socket: TLSSocket, lastReceived: () => number, timeoutMs: number): void {
  const silent = () => Date.now() - lastReceived() > timeoutMs
  if (silent()) setImmediate(() => silent() && socket.destroy())
}
