import type { FastifyInstance } from 'fastify'
import { underV1 } from '../../server/auth.ts'
import type { VaultAgent } from '../vault-agent.ts'
import { AWAY_PROBE_MS, type FenceKeeper } from './fence-keeper.ts'
import { keepIsolationClocks, restoreIsolationClocks } from './isolation-clocks.ts'
import { decideIsolation, isolationCheckEveryMs } from './isolation-decision.ts'
import { CONTACT_HEADER, CONTACT_WITHIN_HEADER, QUORUM_CONTACT } from './quorum-contact.ts'

/**
 * Opt-in self-fencing: checks the isolation decision from the agent's shared status read, and fences (by
 * 'isolation') when it fires. Counts an authenticated /v1 request marked CONTACT_HEADER: quorum, answered 2xx within
 * its CONTACT_WITHIN_HEADER, as contact with the quorum side (an unauthenticated one is answered 401 by the core
 * server's bearer check).
 */
export function installIsolationMonitor(
  app: FastifyInstance,
  deps: {
    agent: VaultAgent
    keeper: FenceKeeper
    durationMs: number
    epoch: () => number
    /** Where the clocks are kept across a restart (the agent's state directory). */
    stateDir: string
  },
): void {
  const { agent, keeper, durationMs } = deps
  const restored = restoreIsolationClocks(deps.stateDir, Date.now(), durationMs)
  let lastRequestAt = restored.lastContactAt
  let isolatedSince: number | null = restored.isolatedSince
  let kept = restored
  /** Written when they changed, at each check: a restart resumes them (its contacts since then are lost: sooner). */
  const keep = async () => {
    if (kept.lastContactAt === lastRequestAt && kept.isolatedSince === isolatedSince) return
    const now = { lastContactAt: lastRequestAt, isolatedSince }
    await keepIsolationClocks(deps.stateDir, now).then(
      () => {
        kept = now
      },
      (err: unknown) => app.log.error({ err }, 'fence: the isolation clocks could not be kept for a restart'),
    )
  }
  // Counted once answered in time, as the gateway counts it: a read answered after the gateway gave up on it (a slow
  // Vault) reached no one on the quorum side.
  app.addHook('onResponse', (request, reply, done) => {
    const marked = request.headers[CONTACT_HEADER] === QUORUM_CONTACT
    const within = Number(request.headers[CONTACT_WITHIN_HEADER] ?? Number.POSITIVE_INFINITY)
    const inTime = reply.statusCode < 300 && reply.elapsedTime <= within
    if (marked && inTime && underV1(request.routeOptions.url ?? request.url)) lastRequestAt = Date.now()
    done()
  })
  // Armed (isolated past the duration, its Vault not answering, sealed or without its DR state): Vault is read anew
  // every AWAY_PROBE_MS, so the demote comes the moment it answers readably again, before clients have long to write.
  let armed = false
  const check = async () => {
    try {
      if (keeper.record() !== undefined) {
        isolatedSince = null
        armed = false
        await keep()
        return
      }
      const status = await agent.status(armed ? 0 : undefined).catch(() => undefined)
      const verdict = decideIsolation(isolatedSince, { now: Date.now(), status, lastRequestAt }, durationMs)
      isolatedSince = verdict.isolatedSince
      await keep()
      if (!verdict.fire && verdict.armed === true && !armed) {
        app.log.error(
          { since: isolatedSince },
          'fence: isolated past VAULT_DR_FENCE_ON_ISOLATION with Vault not answering (or sealed, or without its DR state): demoting it as soon as it answers as a DR primary, if every DR secondary is still disconnected then',
        )
      }
      armed = !verdict.fire && verdict.armed === true
      if (verdict.fire) await keeper.fenceSelf(verdict.reason, deps.epoch())
    } catch (err) {
      app.log.error({ err }, 'fence: the isolation check failed')
    }
  }
  let timer: NodeJS.Timeout | undefined
  let closed = false
  const next = () => {
    if (closed) return
    timer = setTimeout(() => void check().finally(next), armed ? AWAY_PROBE_MS : isolationCheckEveryMs(durationMs))
    timer.unref()
  }
  app.addHook('onReady', (done) => {
    app.log.info({ duration_ms: durationMs }, 'fence: self-fencing on isolation is on (VAULT_DR_FENCE_ON_ISOLATION)')
    next()
    done()
  })
  app.addHook('onClose', (_app, done) => {
    closed = true
    clearTimeout(timer)
    done()
  })
}
