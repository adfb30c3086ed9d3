import { bodyProblemResponses, digitsOnlyQuery, problemResponse, problemResponses } from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { OperationBus } from '../operations/operation-bus.ts'
import { type OpenStreams, streamOperation } from '../operations/operation-stream.ts'
import type { Store } from '../store/store.ts'
import { toPublic } from './handshake-record.ts'
import {
  CreateHandshakeBody,
  Handshake,
  HandshakeList,
  HandshakeParams,
  IdempotencyHeaders,
  LastEventIdHeaders,
  ListHandshakesQuery,
} from './handshakes.schemas.ts'
import type { HandshakesService } from './handshakes.service.ts'

export interface HandshakesRoutesOptions {
  handshakes: HandshakesService
  store: Store
  bus: OperationBus
  streams: OpenStreams
}

const handshakeNotFound = problemResponse('No such handshake (GATEWAY_ERR_HANDSHAKE_NOT_FOUND)')

const STEPS_DOC =
  'Steps, in order: preflight, enable_primary, mint_token, inspect_token, activate_secondary, verify. The activation ' +
  'token moves from the primary agent to the secondary agent in memory only: it is never stored, logged or returned.'

export const handshakesRoutes: FastifyPluginAsyncZod<HandshakesRoutesOptions> = async (app, opts) => {
  const { handshakes } = opts

  app.post(
    '/handshakes',
    {
      schema: {
        operationId: 'createHandshake',
        tags: ['handshakes'],
        summary: 'Start a DR handshake between a registered primary and secondary (wipes the secondary)',
        description: `Answers 202 at once; the handshake runs in the background, durably: a gateway restart resumes it. ${STEPS_DOC} With an Idempotency-Key, the same key and body give the same handshake (200), another body 422. One pending or running handshake per secondary, and per secondary id of a primary (409).`,
        headers: IdempotencyHeaders,
        body: CreateHandshakeBody,
        response: {
          200: Handshake,
          202: Handshake,
          ...problemResponses,
          ...bodyProblemResponses,
          409: problemResponse(
            'A handshake for this secondary or secondary id is unfinished (GATEWAY_ERR_HANDSHAKE_IN_PROGRESS)',
          ),
          422: problemResponse('The Idempotency-Key was used with another body (GATEWAY_ERR_IDEMPOTENCY_KEY_REUSED)'),
        },
      },
    },
    async (request, reply) => {
      const { created, handshake } = await handshakes.create(request.body, request.headers['idempotency-key'])
      return reply
        .status(created ? 202 : 200)
        .header('location', `/v1/handshakes/${handshake.id}`)
        .send(toPublic(handshake))
    },
  )

  app.get(
    '/handshakes',
    {
      schema: {
        operationId: 'listHandshakes',
        tags: ['handshakes'],
        summary: 'Handshakes, newest first, optionally in one state',
        description:
          'Every handshake this store holds, with its steps and checks, newest first; state narrows the list ' +
          '(e.g. failed). Activation tokens are never part of a handshake.',
        querystring: ListHandshakesQuery,
        response: { 200: HandshakeList, ...problemResponses },
      },
      preValidation: digitsOnlyQuery({
        limit: { digits: 3, message: 'must be a whole number from 1 to 500, in digits' },
      }),
    },
    async (request) => ({ handshakes: (await handshakes.list(request.query)).map(toPublic) }),
  )

  app.get(
    '/handshakes/:id',
    {
      schema: {
        operationId: 'getHandshake',
        tags: ['handshakes'],
        summary: 'One handshake: its state, every step and the preflight checks',
        description:
          'The handshake as it stands: state, each step with its status, detail and times, the preflight checks ' +
          '(with post_enable re-checks), and the error with its code and fix when it failed.',
        params: HandshakeParams,
        response: { 200: Handshake, 404: handshakeNotFound, ...problemResponses },
      },
    },
    async (request) => toPublic(await handshakes.get(request.params.id)),
  )

  app.post(
    '/handshakes/:id/cancel',
    {
      schema: {
        operationId: 'cancelHandshake',
        tags: ['handshakes'],
        summary: 'Cancel a pending or running handshake at its next step boundary',
        description:
          'Answers 202 with cancel_requested: true; the handshake becomes cancelled at the next step boundary ' +
          '(preflight is interrupted at once). An activation token minted and not used is revoked. Once the token ' +
          'was sent to the secondary (which wipes it), a cancellation no longer stops the handshake: it runs verify ' +
          'to its end and finishes succeeded or failed as it really went, with cancel_requested: true and a note in ' +
          'the step detail. A finished handshake: 409.',
        params: HandshakeParams,
        response: {
          202: Handshake,
          404: handshakeNotFound,
          409: problemResponse('The handshake already finished (GATEWAY_ERR_HANDSHAKE_FINISHED)'),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => reply.status(202).send(toPublic(await handshakes.cancel(request.params.id))),
  )

  app.get(
    '/handshakes/:id/events',
    {
      schema: {
        operationId: 'streamHandshake',
        tags: ['handshakes'],
        summary: 'Follow a handshake as server-sent events until it finishes',
        description:
          'text/event-stream. `snapshot` (the handshake now), then `state`, `step` and `checks` events as they ' +
          'happen, each with an id (send Last-Event-ID to replay what was missed), and a final `done` event with ' +
          'the finished handshake; then the stream closes.',
        params: HandshakeParams,
        headers: LastEventIdHeaders,
        response: {
          200: {
            description: 'The event stream',
            content: { 'text/event-stream': { schema: z.string().describe('Server-sent events') } },
          },
          404: handshakeNotFound,
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      await handshakes.get(request.params.id)
      const { store } = opts
      const source = {
        get: (id: string) => store.getHandshake(id),
        events: (id: string, after: number) => store.events(id, after),
        toPublic,
        idField: 'handshake_id',
      }
      await streamOperation(request, reply, request.params.id, source, { bus: opts.bus, open: opts.streams })
      return reply
    },
  )
}
