import type { TLSSocket } from 'node:tls'
import type { SimMessages } from '../compat.ts'
import type { SimTimings } from '../options.ts'
import type { PrimaryDrState, SecondaryRecord } from '../state.ts'
import type { ReplicatedStorage, WalEntry } from '../storage.ts'
import {
  closeIfSilent,
  type HelloMessage,
  heartbeatDurationMs,
  readMessages,
  type SecondaryMessage,
  sendMessage,
} from './protocol.ts'

export interface PrimarySessionsDeps {
  storage: ReplicatedStorage
  primaryState: () => PrimaryDrState | undefined
  /** The welcome's addresses: the API address and every primary node's cluster_addr (known_primary_cluster_addrs). */
  advertised: () => { primaryApiAddr: string; primaryClusterAddrs: string[] }
  timings: SimTimings
  messages: SimMessages
  log: (line: string) => void
}

interface Session {
  id: string
  socket: TLSSocket
  record: SecondaryRecord
  /** When anything last arrived from the secondary. */
  lastReceived: number
}

/** The DR primary's side of the replication streams: authenticates secondaries, then ships WALs and heartbeats. */
export class PrimarySessions {
  #deps: PrimarySessionsDeps
  #sessions = new Map<string, Session>()
  /** The site is cut off and drops packets: nothing is sent, nothing received is acted on, nothing is closed. */
  #silenced = false

  constructor(deps: PrimarySessionsDeps) {
    this.#deps = deps
    deps.storage.onWrite((entry) => this.#broadcast(entry))
  }

  accept(socket: TLSSocket): void {
    let session: Session | undefined
    socket.on('error', () => socket.destroy())
    const helloDeadline = setTimeout(() => socket.destroy(), this.#deps.timings.dialTimeoutMs)
    readMessages<SecondaryMessage>(socket, (message) => {
      if (this.#silenced) return
      if (session) session.lastReceived = Date.now()
      if (!session) {
        clearTimeout(helloDeadline)
        session = message.type === 'hello' ? this.#start(socket, message) : undefined
        if (!session) socket.end()
        return
      }
      if (message.type === 'heartbeat' && session.record.connection) {
        session.record.connection.lastHeartbeat = new Date()
        session.record.connection.lastHeartbeatDurationMs = heartbeatDurationMs(message.sentAt)
      }
    })
    socket.on('close', () => {
      clearTimeout(helloDeadline)
      if (session) this.#ended(session)
    })
  }

  /** Disconnects one secondary (revocation). */
  drop(id: string): void {
    this.#sessions.get(id)?.socket.destroy()
  }

  /** Disconnects everyone (demote, disable, seal, stop). */
  dropAll(): void {
    for (const session of this.#sessions.values()) session.socket.destroy()
  }

  /**
   * Closes every stream after what was already written to it: a demote ends the streams, it does not cut them, so
   * the secondaries receive every WAL written before it (destroying the sockets could drop one still being sent).
   */
  endAll(): void {
    for (const session of this.#sessions.values()) {
      session.socket.end()
      setTimeout(() => session.socket.destroy(), 1_000).unref()
    }
  }

  /** Goes silent without closing anything, as a site behind a firewall that drops packets; the peers time out. */
  silence(): void {
    this.#silenced = true
    for (const { record } of this.#sessions.values()) if (record.connection) record.connection.connected = false
  }

  /** Back on the network: the silent connections are stale, so they are closed and the secondaries reconnect. */
  unsilence(): void {
    this.#silenced = false
    this.dropAll()
  }

  #start(socket: TLSSocket, hello: HelloMessage): Session | undefined {
    const primary = this.#deps.primaryState()
    const peer = socket.getPeerCertificate()
    const cn = peer.subject?.CN
    const id = typeof cn === 'string' ? cn : ''
    const record = primary?.secondaries.get(id)
    if (!primary || !record || record.certFingerprint !== peer.fingerprint256 || hello.secondaryId !== id) {
      this.#deps.log(`replication: refused secondary ${JSON.stringify(id)} (unknown or revoked)`)
      sendMessage(socket, { type: 'refused', message: this.#deps.messages.revokedSecondary })
      return undefined
    }
    this.#sessions.get(id)?.socket.destroy()
    const session: Session = { id, socket, record, lastReceived: Date.now() }
    this.#sessions.set(id, session)
    record.connection = {
      apiAddress: hello.apiAddr,
      clusterAddress: hello.clusterAddr,
      connected: true,
      lastHeartbeat: new Date(),
      lastHeartbeatDurationMs: 0,
    }
    const { storage } = this.#deps
    // Streaming resumes from where the secondary stopped while the buffer holds every WAL it missed; otherwise (and
    // always at an activation, whose hello carries no root) it gets everything, through a merkle sync.
    const missed = storage.missedSince(hello.lastRemoteWal, hello.merkleRoot)
    sendMessage(socket, {
      type: 'welcome',
      clusterId: primary.clusterId,
      ...this.#deps.advertised(),
      lastWal: storage.lastWal,
      merkleRoot: storage.merkleRoot(),
      snapshot: missed === undefined ? storage.snapshot() : null,
    })
    for (const entry of missed ?? []) sendMessage(socket, { type: 'wal', entry })
    if (missed !== undefined && missed.length > 0) {
      this.#deps.log(`replication: secondary ${id} resumes streaming after WAL ${hello.lastRemoteWal}`)
    }
    const heartbeat = setInterval(
      () => {
        if (this.#silenced) return
        // A secondary that went silent (a dropped site) is given up, as a gRPC keepalive would.
        closeIfSilent(socket, () => session.lastReceived, this.#deps.timings.heartbeatTimeoutMs)
        sendMessage(socket, {
          type: 'heartbeat',
          lastWal: storage.lastWal,
          merkleRoot: storage.merkleRoot(),
          sentAt: Date.now(),
        })
      },
      Math.max(this.#deps.timings.heartbeatMs, 10),
    )
    socket.once('close', () => clearInterval(heartbeat))
    this.#deps.log(`replication: secondary ${id} connected`)
    return session
  }

  #ended(session: Session): void {
    if (this.#sessions.get(session.id) !== session) return
    this.#sessions.delete(session.id)
    if (session.record.connection) session.record.connection.connected = false
    this.#deps.log(`replication: secondary ${session.id} disconnected`)
  }

  #broadcast(entry: WalEntry): void {
    if (this.#silenced) return
    for (const { socket } of this.#sessions.values()) sendMessage(socket, { type: 'wal', entry })
  }
}
