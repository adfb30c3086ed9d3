/** What the orchestrator hands every benchmark. */
export interface BenchContext {
  /** This run's scratch folder: logs, secret files, SQLite stores, profiles. */
  dir: string
  /** performance.now() past which a benchmark should not start more work (the 10-minute budget). */
  deadline: number
  /** Write CPU profiles of the gateway child (--profile). */
  profile: boolean
  /** Fewer repetitions, shorter loads (--quick), for trying the harness out. */
  quick: boolean
  fleetSizes: number[]
  log(message: string): void
}

export function remainingMs(ctx: BenchContext): number {
  return ctx.deadline - performance.now()
}

/**
 * Emulator timings for the handshake benchmarks: every delay on the activation path is 0. Heartbeats are an
 * interval, not a delay on that path, so they stay at 1 s to keep idle CPU low; reconnects at the 10 ms minimum.
 */
export const ZERO_TIMINGS = {
  bootstrapMs: 0,
  merkleDiffMs: 0,
  merkleSyncMs: 0,
  restartMs: 0,
  heartbeatMs: 1_000,
  reconnectMs: 10,
}
