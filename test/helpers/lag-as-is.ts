interface Lag {
  wals: number | null
  primary_last_wal: number | null
  secondary_last_remote_wal: number | null
}

interface Emulated {
  state(): { lastWal: number }
}

/**
 * The lag a gateway view shows, once both of its reads are of the clusters as they are now; undefined before. The
 * agents keep a status read briefly, so a view may pair an older read of one side with a newer one of the other:
 * two older reads can show a lag of 0 that is not, an older secondary read a lag that is too large.
 */
export function lagAsIs(lag: Lag, primary: Emulated, secondary: Emulated): number | undefined {
  const current =
    lag.primary_last_wal === primary.state().lastWal && lag.secondary_last_remote_wal === secondary.state().lastWal
  return current ? (lag.wals ?? undefined) : undefined
}
