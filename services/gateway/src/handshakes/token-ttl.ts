import { z } from 'zod'

/** Seconds of a Vault duration such as '300s', '5m', '1h' or '300'. */
export function ttlSeconds(ttl: string): number {
  const value = Number.parseInt(ttl, 10)
  const unit = ttl.at(-1)
  return unit === 'h' ? value * 3600 : unit === 'm' ? value * 60 : value
}

const DURATION = /^\d{1,6}[smh]?$/

/** An activation token TTL, as the primary agent accepts it: 1 s to 24 h. */
export const TokenTtl = z
  .string()
  .regex(DURATION, 'must be a duration such as "300s", "5m" or "1h"')
  // zod runs refinements after a failed check too: a malformed value already has its message.
  .refine(
    (ttl) => !DURATION.test(ttl) || (ttlSeconds(ttl) >= 1 && ttlSeconds(ttl) <= 86_400),
    'must be between 1s and 24h',
  )
  .meta({ example: '5m' })
