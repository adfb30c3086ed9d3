import type { FastifyReply } from 'fastify'

/**
 * Sends JSON that was serialized (and checked against the route's response schema) beforehand. Fastify sends a
 * string with a JSON content type as it is; the cast only tells the type provider so.
 */
export function sendSerializedJson(reply: FastifyReply, json: string) {
  return reply.type('application/json').send(json as never)
}
