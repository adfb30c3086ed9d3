import type { SimTimings } from '../options.ts'
import type { SecondaryDrState } from '../state.ts'
import type { ReplicatedStorage, StorageSnapshot, WalEntry } from '../storage.ts'
import { isBootstrapMaterial } from './bootstrap-material.ts'
import { closeIfSilent, heartbeatDurationMs, type PrimaryMessage, sendMessage } from './protocol.ts'
import { type DialOptions, dialPrimary, type PrimaryConnection } from './stream-client.ts'

export interface SecondaryLinkDeps {
  storage: ReplicatedStorage
  timings: SimTimings
  /** The `state` shown while the mode is bootstrapping (compat.bootstrappingState). */
  bootstrappingState: SecondaryDrState['state']
  /** The `state` once the primary is lost: idle, or kept as it was (compat.lostPrimaryState). */
  lostPrimaryState: 'idle' | 'kept'
  /** This cluster's advertised addresses, sent in hello so the primary can list them. */
  advertised: () => { apiAddr: string; clusterAddr: string }
  log: (line: string) => void
}

/**
 * The DR secondary's side: applies the primary's stream, walks the visible states
 * (bootstrapping → merkle-diff → merkle-sync → stream-wals) on the configured timings, and
 * reconnects every reconnectMs after losing the primary.
 */
export class SecondaryLink {
  #deps: SecondaryLinkDeps
  #state: SecondaryDrState | undefined
  #connection: PrimaryConnection | undefined
  #timers = new Set<NodeJS.Timeout>()
  /** Bumped on every attach/detach so callbacks of an older connection do nothing. */
  #generation = 0
  #paused = false
  /** Cut off from the network and dropping packets: the connection is kept open but dead (see silence()). */
  #silenced = false
  #heldSocket: PrimaryConnection['socket'] | undefined
  /**
   * The primary's data sent at connect, applied when merkle-sync ends: during that phase the keys are still arriving
   * (vault-dr-api 3.3, "full key sync"; applying them all at its end is vault-sim's choice), so a secondary cut off
   * mid-sync keeps what it had and its last_remote_wal stays the old one. WALs streamed meanwhile wait for it.
   */
  #pendingSync: { generation: number; snapshot: StorageSnapshot; wals: WalEntry[] } | undefined
  /** Streamed WALs received and not applied yet (holdWals): a secondary that falls behind while connected. */
  #held: WalEntry[] | undefined

  constructor(deps: SecondaryLinkDeps) {
    this.#deps = deps
  }

  /** Starts replicating over a connection that already passed the bootstrap exchange. */
  attach(state: SecondaryDrState, connection: PrimaryConnection, initial: boolean): void {
    this.detach()
    this.#state = state
    this.#adopt(connection, initial)
  }

  /** Stops replicating and forgets the state object (promote, disable, update-primary). */
  detach(): void {
    this.#heldSocket?.destroy()
    this.#heldSocket = undefined
    this.#generation += 1
    this.#clearTimers()
    this.#connection?.socket.destroy()
    this.#connection = undefined
    this.#state = undefined
    this.#pendingSync = undefined
    if (this.#held !== undefined) this.#held = []
  }

  /**
   * true: WALs streamed from now on are received and not applied (last_remote_wal and the merkle root stay behind);
   * false: what was held is applied in order (but what the storage holds already, sent again after a reconnect).
   */
  holdWals(on: boolean): void {
    if (on) {
      this.#held ??= []
      return
    }
    const held = this.#held ?? []
    this.#held = undefined
    for (const entry of held) if (entry.index > this.#deps.storage.lastWal) this.#deps.storage.apply(entry)
  }

  /** Drops the connection without forgetting the primary (seal, stop); resume() reconnects. */
  pause(): void {
    this.#paused = true
    this.#generation += 1
    this.#clearTimers()
    this.#connection?.socket.destroy()
    this.#connection = undefined
    if (this.#state?.credentials) this.#markLost(this.#state, 'idle')
  }

  resume(): void {
    this.#paused = false
    if (this.#state?.credentials && !this.#connection) this.#scheduleReconnect(0)
  }

  /**
   * The site drops every packet: no heartbeats go out, nothing coming in is applied, and the connection is not closed
   * (the primary only notices by the silence). This side has lost its primary too.
   */
  silence(): void {
    this.#silenced = true
    this.#generation += 1
    this.#clearTimers()
    this.#heldSocket = this.#connection?.socket
    this.#connection = undefined
    if (this.#state?.credentials) this.#markLost(this.#state, 'transient_failure')
  }

  /** Back on the network: the dead connection is closed and the primary looked for again. */
  unsilence(): void {
    this.#silenced = false
    this.#heldSocket?.destroy()
    this.#heldSocket = undefined
    if (!this.#paused && this.#state?.credentials && !this.#connection) this.#scheduleReconnect(0)
  }

  /** update_primary_addrs: where to look for the same primary from now on; a lost primary is looked for at once. */
  setCandidates(addrs: string[]): void {
    const state = this.#state
    if (!state) return
    state.knownPrimaryClusterAddrs = addrs
    if (this.#connection || this.#paused) return
    this.#generation += 1
    this.#clearTimers()
    this.#scheduleReconnect(0)
  }

  /** The known primary addresses first, then the bootstrap package's (primary_cluster_addr) as a fallback. */
  dialOptions(state: Pick<SecondaryDrState, 'secondaryId' | 'knownPrimaryClusterAddrs' | 'credentials'>): DialOptions {
    if (!state.credentials) throw new Error('no primary to dial')
    const { storage, timings } = this.#deps
    return {
      credentials: state.credentials,
      addrs: [...new Set([...state.knownPrimaryClusterAddrs, ...state.credentials.primaryClusterAddrs])],
      hello: {
        secondaryId: state.secondaryId,
        ...this.#deps.advertised(),
        merkleRoot: storage.merkleRoot(),
        lastRemoteWal: storage.lastWal,
      },
      timeoutMs: timings.dialTimeoutMs,
    }
  }

  #adopt(connection: PrimaryConnection, initial: boolean): void {
    const state = this.#state
    if (!state) return
    const { welcome, hello } = connection
    const { storage } = this.#deps
    if (
      welcome.snapshot === null &&
      (storage.lastWal !== hello.lastRemoteWal || storage.merkleRoot() !== hello.merkleRoot)
    ) {
      // A resume granted for what this cluster held when it dialled, and it applied more since (the old primary's
      // stream went on during the dial): streaming on from there would diverge. Dialled again, with what it holds now.
      connection.socket.destroy()
      this.#deps.log('replication: what was held changed during the dial: dialling the primary again')
      this.#connection = undefined
      this.#markLost(state, 'connecting')
      this.#scheduleReconnect(0)
      return
    }
    const generation = this.#generation
    const needsSync = welcome.snapshot !== null
    this.#pendingSync = welcome.snapshot ? { generation, snapshot: welcome.snapshot, wals: [] } : undefined
    if (welcome.snapshot) {
      // An activation wipes the cluster at once; the data comes with the sync, the bootstrap material now.
      if (initial) this.#deps.storage.restore({ lastWal: 0, entries: [] })
      this.#deps.storage.seed(welcome.snapshot.entries.filter(([key]) => isBootstrapMaterial(key)))
    }
    this.#connection = connection
    state.connectionState = 'ready'
    state.knownPrimaryClusterAddrs = welcome.primaryClusterAddrs
    state.primary = {
      apiAddress: welcome.primaryApiAddr,
      clusterAddress: connection.address,
      connected: true,
      lastHeartbeat: new Date(),
      lastHeartbeatDurationMs: 0,
    }
    let lastReceived = Date.now()
    connection.onMessage((message) => {
      if (generation !== this.#generation) return
      lastReceived = Date.now()
      this.#onMessage(state, message)
    })
    connection.socket.on('error', () => {})
    connection.socket.once('close', () => {
      if (generation !== this.#generation) return
      // Stop this connection's phase timers and heartbeats before reconnecting.
      this.#generation += 1
      this.#clearTimers()
      this.#connection = undefined
      this.#deps.log('replication: lost the connection to the primary')
      this.#markLost(state, 'transient_failure')
      this.#scheduleReconnect(this.#deps.timings.reconnectMs)
    })
    const heartbeat = setInterval(
      () => {
        // A primary that went silent (a dropped site) is given up, as a gRPC keepalive would; 'close' then reconnects.
        closeIfSilent(connection.socket, () => lastReceived, this.#deps.timings.heartbeatTimeoutMs)
        sendMessage(connection.socket, { type: 'heartbeat', sentAt: Date.now() })
      },
      Math.max(this.#deps.timings.heartbeatMs, 10),
    )
    this.#timers.add(heartbeat)
    this.#runPhases(state, generation, initial, needsSync, welcome.snapshot?.entries.length ?? 0)
  }

  #runPhases(state: SecondaryDrState, generation: number, initial: boolean, needsSync: boolean, keys: number): void {
    const { bootstrapMs, merkleDiffMs, merkleSyncMs } = this.#deps.timings
    const steps: Array<[number, () => void]> = []
    if (initial) {
      state.mode = 'bootstrapping'
      state.state = this.#deps.bootstrappingState
      steps.push([bootstrapMs, () => Object.assign(state, { mode: 'secondary', state: 'merkle-diff' })])
    } else {
      state.state = 'merkle-diff'
    }
    if (needsSync) {
      steps.push([
        merkleDiffMs,
        () => Object.assign(state, { state: 'merkle-sync', sync: { progress: 0, total: keys } }),
      ])
      // Progress shows in quarters of merkleSyncMs (at once when it takes no time); the keys land at its end.
      for (const quarter of merkleSyncMs > 0 ? [1, 2, 3] : []) {
        steps.push([
          merkleSyncMs / 4,
          () => {
            if (state.sync) state.sync.progress = Math.floor((keys * quarter) / 4)
          },
        ])
      }
      steps.push([
        merkleSyncMs / 4,
        () => {
          state.sync = undefined
          this.#finishSync(generation)
        },
      ])
    } else {
      steps.push([merkleDiffMs, () => {}])
    }
    steps.push([0, () => (state.state = 'stream-wals')])
    const next = (index: number) => {
      const step = steps[index]
      if (!step || generation !== this.#generation) return
      const [delay, apply] = step
      this.#after(delay, () => {
        apply()
        next(index + 1)
      })
    }
    next(0)
  }

  #finishSync(generation: number): void {
    const sync = this.#pendingSync
    if (sync?.generation !== generation) return
    this.#pendingSync = undefined
    this.#deps.storage.restore(sync.snapshot)
    for (const entry of sync.wals) if (entry.index > sync.snapshot.lastWal) this.#deps.storage.apply(entry)
  }

  #onMessage(state: SecondaryDrState, message: PrimaryMessage): void {
    if (message.type === 'wal') {
      const sync = this.#pendingSync
      if (sync?.generation === this.#generation) sync.wals.push(message.entry)
      else if (this.#held !== undefined) this.#held.push(message.entry)
      else this.#deps.storage.apply(message.entry)
    }
    if (message.type === 'heartbeat' && state.primary) {
      state.primary.lastHeartbeat = new Date()
      state.primary.lastHeartbeatDurationMs = heartbeatDurationMs(message.sentAt)
    }
  }

  #markLost(state: SecondaryDrState, connectionState: SecondaryDrState['connectionState']): void {
    state.connectionState = connectionState
    if (this.#deps.lostPrimaryState === 'idle' || state.state !== 'stream-wals') state.state = 'idle'
    state.sync = undefined
    if (state.mode === 'bootstrapping') state.mode = 'secondary'
    if (state.primary) state.primary.connected = false
  }

  #scheduleReconnect(delayMs: number): void {
    const state = this.#state
    if (!state || this.#paused || this.#silenced) return
    const generation = this.#generation
    this.#after(delayMs, async () => {
      state.connectionState = 'connecting'
      try {
        const connection = await dialPrimary(this.dialOptions(state))
        if (generation !== this.#generation) {
          connection.socket.destroy()
          return
        }
        this.#deps.log('replication: reconnected to the primary')
        this.#adopt(connection, false)
      } catch {
        if (generation !== this.#generation) return
        state.connectionState = 'transient_failure'
        this.#scheduleReconnect(Math.max(this.#deps.timings.reconnectMs, 10))
      }
    })
  }

  #after(delayMs: number, run: () => void | Promise<void>): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      void run()
    }, delayMs)
    this.#timers.add(timer)
  }

  #clearTimers(): void {
    for (const timer of this.#timers) {
      clearTimeout(timer)
      clearInterval(timer)
    }
    this.#timers.clear()
  }
}
