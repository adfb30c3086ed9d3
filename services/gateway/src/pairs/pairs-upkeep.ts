import type { FastifyBaseLogger } from 'fastify'
import { repeatRounds } from '../util/repeat-rounds.ts'
import type { PairsService } from './pairs.service.ts'

/**
 * The gateway's upkeep of its pairs, every `intervalMs` from the start (VAULT_DR_PAIRS_UPKEEP_MS), one round at a time: DR
 * operation tokens issued once a pair streams and re-issued before they expire, each checked on its secondary, and
 * the pair metrics updated. What it logs are pair names and codes, never a token.
 */
export function startPairsUpkeep(pairs: PairsService, intervalMs: number, log: FastifyBaseLogger) {
  const run = async () => {
    const outcomes = await pairs.upkeep()
    for (const o of outcomes) {
      if (o.error !== undefined)
        log.warn({ secondary: o.secondary, code: o.error }, 'pair upkeep: no DR operation token kept')
      else if (o.rotated !== undefined)
        log.info({ secondary: o.secondary, reason: o.rotated }, 'DR operation token issued')
    }
  }
  const rounds = repeatRounds({
    round: run,
    everyMs: intervalMs,
    log,
    what: 'pairs upkeep',
    onStop: () => pairs.close(),
  })
  // The first round waits one interval too: a gateway that just started has handshakes to resume first.
  rounds.start(intervalMs)
  return { stop: rounds.stop }
}
