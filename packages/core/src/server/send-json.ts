import type { FastifyReply } from 'fastify'

/**
 * Sends JSON that was serialized (and checked against the route's response schema) beforehand. Fastify sends a
 * string with a JSON content type as it is; the cast only tells the type provider so.
 */
export function sendSerializedJson(reply: FastifyReply, json: string) {
  return reply.type('application/json').send(json as never)
}

/**
 * A status route's handler body: the agent's status JSON, sent at once from a fresh cache (what most polls find), or
 * once Vault has answered. Not async: a promise per request costs a measurable share of a cached answer.
 */
export function sendStatusJson(
  reply: FastifyReply,
  source: { statusJson(maxAgeMs?: number): Promise<string>; cachedStatusJson(maxAgeMs?: number): string | undefined },
  maxAgeMs: number | undefined,
): Promise<void> | undefined {
  const cached = source.cachedStatusJson(maxAgeMs)
  if (cached !== undefined) {
    sendSerializedJson(reply, cached)
    return undefined
  }
  return source.statusJson(maxAgeMs).then((json) => {
    sendSerializedJson(reply, json)
  })
}
