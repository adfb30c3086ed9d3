import { isCodedError } from '@vault-dr/core'
import type { FastifyBaseLogger } from 'fastify'
import { storeUnavailable } from './etcd-errors.ts'
import type { SecretBox } from './secret-box.ts'
import type { Store } from './store.ts'
import { verifyStoreKey } from './store-readiness.ts'

export interface KeyGateOptions {
  store: Store
  box: SecretBox
  log: FastifyBaseLogger
  /** Runs once the key matched: resuming work that opens the sealed agent tokens. */
  start: () => Promise<void>
  /** Called once the store answered with another key's check value (start never runs then). */
  onMismatch: () => void
  retryMs?: number
}

const unavailable = (err: unknown) => isCodedError(err) && err.code === storeUnavailable.code

/**
 * Checks the store key and then starts the gateway's work, as a start does; but a store that does not answer yet
 * (etcd without a quorum) does not stop the start: the gateway serves, says why it is not ready in /readyz, and the
 * check is tried again every `retryMs` until the store answers. The first attempt is awaited; any other failure of
 * it is thrown, as before.
 */
export async function startWhenStoreKeyVerified(opts: KeyGateOptions): Promise<{ stop(): void }> {
  const { store, box, log, start, onMismatch, retryMs = 2_000 } = opts
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const attempt = async (first: boolean): Promise<void> => {
    try {
      const matches = await verifyStoreKey(store, box, log)
      if (stopped) return
      if (matches) await start()
      else onMismatch()
    } catch (err) {
      if (!unavailable(err)) {
        if (first) throw err
        log.error({ err }, 'the store key check failed')
      } else if (first) {
        log.warn(
          { code: storeUnavailable.code },
          'the store does not answer: serving, not ready, and resuming work once it does',
        )
      }
      if (!stopped && (unavailable(err) || !first)) {
        timer = setTimeout(() => void attempt(false), retryMs)
        timer.unref()
      }
    }
  }
  await attempt(true)
  return {
    stop() {
      stopped = true
      clearTimeout(timer)
    },
  }
}
