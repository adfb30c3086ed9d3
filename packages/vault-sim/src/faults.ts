import type { ApiListener } from './api/app.ts'
import { type ClusterContext, isLeaderless, isSealed } from './context.ts'
import type { SimTimings } from './options.ts'
import { isSecondaryMode } from './state.ts'

export interface ClusterFaults {
  seal(): void
  unseal(): void
  /** Closes the cluster port and drops the replication connections on it. */
  closeClusterListener(): Promise<void>
  reopenClusterListener(): Promise<void>
  /** Milliseconds added to every API response. */
  setLatency(ms: number): void
  /** Changes timings from now on (the next merkle sync, reconnect or restart takes them). */
  setTimings(timings: Partial<SimTimings>): void
  /** Both listeners down (like a stopped process); state is kept. */
  stop(): Promise<void>
  /** Back on the same addresses. */
  start(): Promise<void>
  /** An operator write to replicated storage; returns the new last_wal. */
  write(path?: string): number
  /** Writes `perSecond` times a second until the returned function is called. */
  startWriteLoad(perSecond: number): () => void
  setEnterprise(on: boolean): void
  /** false = answer as an uninitialised Vault (sys/health 501). */
  setInitialized(on: boolean): void
  /**
   * A lost site: the whole cluster unreachable, its data and role kept. 'refuse' (default): nothing listens, so clients
   * and peers get connection refused. 'drop': connections are accepted and never answered and the open replication
   * connections go silent without closing, so clients time out and peers notice only when heartbeats stop.
   */
  isolate(mode?: IsolationMode): Promise<void>
  /** The site is reachable again, as it was; replication resumes by itself. */
  rejoin(): Promise<void>
  /**
   * The replicated merkle tree is found corrupted: corrupted_merkle_tree is true in dr/status (on either role) and
   * merkle-check reports the corrupted root, until a reindex rebuilds the tree (fact sheet 2.8, P3).
   */
  corruptMerkleTree(): void
  /**
   * The primary's log shipper buffer loses the WALs it holds (too small for the writes since): a secondary that
   * reconnects after missing any of them goes through a merkle sync instead of resuming its stream.
   */
  dropWalBuffer(): void
  /**
   * A secondary that falls behind while connected (a slow disk): WALs streamed to it are not applied until
   * holdWals(false), so its last_remote_wal and merkle root stay where they were; then it applies them in order.
   */
  holdWals(on: boolean): void
  /** What autopilot state reports: false as when the cluster lost the voters of its quorum (healthy: false). */
  setRaftHealthy(on: boolean): void
}

export type IsolationMode = 'refuse' | 'drop'

/** The fault-injection side of a cluster handle; stopWriteLoads() is for close(). */
export function createFaults(ctx: ClusterContext, api: ApiListener): ClusterFaults & { stopWriteLoads(): void } {
  const writeLoads = new Set<NodeJS.Timeout>()
  return {
    seal: () => {
      ctx.runtime.sealed = true
      ctx.primarySessions.dropAll()
      ctx.secondaryLink.pause()
      ctx.log('fault: sealed')
    },
    unseal: () => {
      ctx.runtime.sealed = false
      // A stopped cluster stays quiet until start().
      if (api.listening) ctx.secondaryLink.resume()
      ctx.log('fault: unsealed')
    },
    closeClusterListener: () => ctx.clusterListener.close(),
    reopenClusterListener: () => ctx.clusterListener.listen(),
    setLatency: (ms) => {
      ctx.runtime.latencyMs = Math.max(0, ms)
    },
    setTimings: (timings) => {
      for (const [key, value] of Object.entries(timings)) {
        if (value !== undefined) ctx.options.timings[key as keyof SimTimings] = value
      }
    },
    stop: async () => {
      ctx.secondaryLink.pause()
      ctx.primarySessions.dropAll()
      await Promise.all([api.stop(), ctx.clusterListener.close()])
      ctx.log('fault: stopped')
    },
    start: async () => {
      await api.listen()
      await ctx.clusterListener.listen()
      if (!ctx.runtime.sealed) ctx.secondaryLink.resume()
      ctx.log('fault: started')
    },
    write: (path) => operatorWrite(ctx, path),
    startWriteLoad: (perSecond) => {
      if (!(perSecond > 0)) return () => {}
      const timer = setInterval(
        () => {
          // Like an operator's script against a sealed or demoted cluster: those writes just fail.
          if (!isSealed(ctx) && !isLeaderless(ctx) && !isSecondaryMode(ctx.dr)) operatorWrite(ctx)
        },
        Math.max(1, 1000 / perSecond),
      )
      writeLoads.add(timer)
      return () => {
        clearInterval(timer)
        writeLoads.delete(timer)
      }
    },
    setEnterprise: (on) => {
      ctx.runtime.enterprise = on
      if (!on) ctx.primarySessions.dropAll()
    },
    setInitialized: (on) => {
      ctx.runtime.initialized = on
    },
    isolate: async (mode = 'refuse') => {
      if (ctx.runtime.isolation) throw new Error(`already isolated (${ctx.runtime.isolation})`)
      ctx.runtime.isolation = mode
      if (mode === 'refuse') {
        ctx.secondaryLink.pause()
        ctx.primarySessions.dropAll()
        await Promise.all([api.stop(), ctx.clusterListener.close()])
      } else {
        ctx.clusterListener.silence(true)
        ctx.primarySessions.silence()
        ctx.secondaryLink.silence()
      }
      ctx.log(`fault: isolated (${mode})`)
    },
    rejoin: async () => {
      const mode = ctx.runtime.isolation
      if (!mode) return
      if (mode === 'refuse') {
        await api.listen()
        await ctx.clusterListener.listen()
        ctx.runtime.isolation = undefined
        if (!ctx.runtime.sealed) ctx.secondaryLink.resume()
      } else {
        ctx.runtime.isolation = undefined
        api.releaseHeld()
        ctx.clusterListener.silence(false)
        ctx.primarySessions.unsilence()
        ctx.secondaryLink.unsilence()
      }
      ctx.log('fault: rejoined')
    },
    corruptMerkleTree: () => {
      ctx.runtime.merkleCorrupted = true
      ctx.log('fault: merkle tree corrupted')
    },
    dropWalBuffer: () => {
      ctx.storage.dropShipped()
      ctx.log('fault: WAL buffer dropped')
    },
    holdWals: (on) => {
      ctx.secondaryLink.holdWals(on)
      ctx.log(`fault: streamed WALs ${on ? 'held' : 'applied'}`)
    },
    setRaftHealthy: (on) => {
      ctx.runtime.raftHealthy = on
      ctx.log(`fault: raft ${on ? 'healthy' : 'unhealthy'}`)
    },
    stopWriteLoads: () => {
      for (const timer of writeLoads) clearInterval(timer)
      writeLoads.clear()
    },
  }
}

function operatorWrite(ctx: ClusterContext, path?: string): number {
  if (isSecondaryMode(ctx.dr)) throw new Error('cannot write to a DR secondary')
  if (isSealed(ctx)) throw new Error('cannot write while sealed')
  if (isLeaderless(ctx)) throw new Error('cannot write while there is no active node')
  const key = path ?? `sim/operator/${ctx.storage.lastWal + 1}`
  return ctx.storage.put(key, { written_at: new Date().toISOString() })
}
