import { digitsOnlyQuery, problemResponse, problemResponses } from '@vault-dr/core'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { OperationBus } from './operation-bus.ts'
import { type OpenStreams, streamOperation } from './operation-stream.ts'
import {
  LastEventIdHeaders,
  ListOperationsQuery,
  Operation,
  OperationList,
  OperationParams,
} from './operations.schemas.ts'
import type { OperationsService } from './operations.service.ts'

export interface OperationsRoutesOptions {
  operations: OperationsService
  bus: OperationBus
  streams: OpenStreams
}

const operationNotFound = problemResponse('No such operation (GATEWAY_ERR_OPERATION_NOT_FOUND)')

export const operationsRoutes: FastifyPluginAsyncZod<OperationsRoutesOptions> = async (app, opts) => {
  const { operations } = opts

  app.get(
    '/operations',
    {
      schema: {
        operationId: 'listOperations',
        tags: ['operations'],
        summary: 'Operations of every kind, newest first',
        description:
          'Every durable operation this store holds (handshakes, shown as kind handshake, and the other kinds), ' +
          'newest first, with their steps. kind, state and cluster (an operation touching that cluster) narrow the ' +
          'list. Secrets are never part of an operation.',
        querystring: ListOperationsQuery,
        response: { 200: OperationList, ...problemResponses },
      },
      preValidation: digitsOnlyQuery({
        limit: { digits: 3, message: 'must be a whole number from 1 to 500, in digits' },
      }),
    },
    async (request) => ({ operations: await operations.list(request.query) }),
  )

  app.get(
    '/operations/:id',
    {
      schema: {
        operationId: 'getOperation',
        tags: ['operations'],
        summary: 'One operation of any kind: its state and every step',
        description:
          'The operation as it stands: kind, state, the clusters it holds, what was asked (subject), what it found ' +
          'and did (result), each step with its status, detail and times, and the error with its code and fix ' +
          'when it failed or was cancelled.',
        params: OperationParams,
        response: { 200: Operation, 404: operationNotFound, ...problemResponses },
      },
    },
    async (request) => operations.get(request.params.id),
  )

  app.post(
    '/operations/:id/cancel',
    {
      schema: {
        operationId: 'cancelOperation',
        tags: ['operations'],
        summary: 'Cancel a pending or running operation at its next step boundary',
        description:
          'Answers 202 with cancel_requested: true; the operation becomes cancelled at its next step boundary ' +
          '(steps that change nothing are interrupted at once) and undoes what is safe to undo. Once a step past ' +
          'its point of no return has started, a cancellation no longer stops it: it runs to its end and finishes ' +
          'as it really went, with cancel_requested: true and a note in the step detail. A finished operation: 409.',
        params: OperationParams,
        response: {
          202: Operation,
          404: operationNotFound,
          409: problemResponse('The operation already finished (GATEWAY_ERR_OPERATION_FINISHED)'),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => reply.status(202).send(await operations.cancel(request.params.id)),
  )

  app.get(
    '/operations/:id/events',
    {
      schema: {
        operationId: 'streamOperation',
        tags: ['operations'],
        summary: 'Follow an operation as server-sent events until it finishes',
        description:
          'text/event-stream. `snapshot` (the operation now), then `state`, `step`, `checks` and `note` events as ' +
          'they happen, each with an id (send Last-Event-ID to replay what was missed), and a final `done` event ' +
          'with the finished operation; then the stream closes.',
        params: OperationParams,
        headers: LastEventIdHeaders,
        response: {
          200: {
            description: 'The event stream',
            content: { 'text/event-stream': { schema: z.string().describe('Server-sent events') } },
          },
          404: operationNotFound,
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const source = await operations.streamSource(request.params.id)
      await streamOperation(request, reply, request.params.id, source as Parameters<typeof streamOperation>[3], {
        bus: opts.bus,
        open: opts.streams,
      })
      return reply
    },
  )
}
