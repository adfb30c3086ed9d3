import { z } from 'zod'
import { CoreErrors } from '../../src/core-errors.ts'
import { defineError } from '../../src/errors.ts'
import { bodyProblemResponses, problemResponse, problemResponses } from '../../src/problem.ts'
import { type App, createServer, type ServerOptions } from '../../src/server/create-server.ts'
import { LogCapture } from '../../src/server/log-capture.ts'

export const API_TOKEN = 'test-api-token-0123456789'
export const AUTH = { authorization: `Bearer ${API_TOKEN}` }

export { LogCapture, type LogLine } from '../../src/server/log-capture.ts'

export const Thing = z.object({ name: z.string().regex(/^[a-z]+$/), count: z.number().int() })
export const CreatedThing = Thing.extend({ id: z.string() })

export const TeapotError = defineError({
  code: 'TEST_ERR_TEAPOT',
  status: 418,
  title: 'I am a teapot',
  fix: 'Ask a coffee pot.',
})

/** The core server with a few test routes under /v1; its logs go to `logs`. */
export async function buildTestApp(opts: Partial<ServerOptions> = {}): Promise<{ app: App; logs: LogCapture }> {
  const logs = new LogCapture()
  const app = await createServer({
    name: 'test-svc',
    version: '1.2.3',
    description: 'A service for tests',
    apiToken: API_TOKEN,
    logStream: logs,
    tags: [{ name: 'things', description: 'Things' }],
    ...opts,
  })
  app.post(
    '/v1/things',
    {
      schema: {
        operationId: 'createThing',
        tags: ['things'],
        summary: 'Create a thing',
        body: Thing,
        response: { 201: CreatedThing, ...problemResponses },
      },
    },
    async (request, reply) => reply.status(201).send({ id: `thing-${request.body.name}`, ...request.body }),
  )
  app.post(
    '/v1/strict-things',
    {
      schema: {
        operationId: 'createStrictThing',
        tags: ['things'],
        summary: 'Create a thing; unknown fields are refused',
        body: Thing.extend({ tags: z.object({ colour: z.string() }).strict().optional() }).strict(),
        response: {
          201: CreatedThing,
          409: problemResponse('The thing exists (CORE_ERR_CONFLICT)'),
          ...problemResponses,
          ...bodyProblemResponses,
        },
      },
    },
    async (request, reply) => {
      if (request.body.name === 'taken') throw CoreErrors.conflict('A thing named taken exists.')
      return reply.status(201).send({ id: `thing-${request.body.name}`, name: request.body.name, count: 1 })
    },
  )
  app.get('/v1/things/:name', async (request) => ({ name: (request.params as { name: string }).name }))
  app.get('/v1/boom', async () => {
    throw new Error('database password hunter2 was rejected')
  })
  app.get('/v1/teapot', async () => {
    throw TeapotError('The pot only makes tea.', { upstream: { service: 'kettle', status: 418, errors: ['short'] } })
  })
  app.get(
    '/v1/wrong-shape',
    { schema: { response: { 200: z.object({ id: z.string() }) } } },
    // A handler bug: the answer does not match the declared response.
    async () => ({ id: 42 }) as unknown as { id: string },
  )
  return { app, logs }
}
