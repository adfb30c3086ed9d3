import type { FastifyBaseLogger } from 'fastify'

/**
 * Runs `round` over and over, one at a time, until stopped: the first after the delay start() is given, each next one
 * `everyMs` after the last ended, or after what `nextMs` makes of its result. A round that throws is logged (`<what>
 * round failed`) and the next one comes all the same. stop() calls `onStop` (to abort the round's calls), ends the
 * waiting and waits for the round under way.
 */
export function repeatRounds<T>(opts: {
  round: () => Promise<T>
  nextMs?: (result: T) => number
  everyMs: number
  log: FastifyBaseLogger
  what: string
  onStop?: () => void
}) {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> | undefined
  let stopped = false
  const schedule = (ms: number) => {
    if (stopped) return
    timer = setTimeout(() => {
      let next = opts.everyMs
      running = opts
        .round()
        .then((result) => {
          if (opts.nextMs !== undefined) next = opts.nextMs(result)
        })
        .catch((err: unknown) => opts.log.warn({ err: (err as Error)?.message }, `${opts.what} round failed`))
        .finally(() => schedule(next))
    }, ms)
    timer.unref()
  }
  return {
    start: (firstMs: number) => schedule(firstMs),
    async stop() {
      stopped = true
      clearTimeout(timer)
      opts.onStop?.()
      await running
    },
  }
}
