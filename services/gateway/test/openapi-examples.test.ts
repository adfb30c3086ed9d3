import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { AUTH } from './helpers/gateway.ts'
import { useRegisteredGateway } from './helpers/gateway-fixture.ts'

const doc = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { description?: string; operationId: string }>>
  components: { schemas: Record<string, { example?: Record<string, unknown> }> }
}

describe("Swagger UI's examples and descriptions", () => {
  const fx = useRegisteredGateway()

  it('the preflight example body, sent as Swagger UI would, is answered 200 with primary and secondary apart', async () => {
    const example = doc.components.schemas.PreflightRequestInput?.example
    expect(example).toEqual({ primary: 'dc1', secondary: 'dc2' })
    const res = await fx.gw.app.inject({ method: 'POST', url: '/v1/preflight', headers: AUTH, payload: example ?? {} })
    expect(res.statusCode, res.body).toBe(200)
  })

  it('the handshake example body names two clusters and is accepted', async () => {
    const example = doc.components.schemas.CreateHandshakeRequestInput?.example
    expect(example?.primary).not.toBe(example?.secondary)
    const res = await fx.gw.app.inject({ method: 'POST', url: '/v1/handshakes', headers: AUTH, payload: example ?? {} })
    expect(res.statusCode, res.body).toBe(202)
  })

  it("every request body has an example, and each passes its route's validation as Swagger UI sends it", async () => {
    type Op = { operationId: string; requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }
    const schemas = doc.components.schemas as Record<string, { example?: unknown; $ref?: string }>
    const exampleOf = (ref: string | undefined): unknown => {
      if (ref === undefined) return undefined
      const schema = schemas[ref.split('/').at(-1) ?? '']
      return schema?.example ?? exampleOf(schema?.$ref)
    }
    const withBodies = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops as Record<string, Op>)
        .filter(([, op]) => op.requestBody !== undefined)
        .map(([method, op]) => ({ method, path, op })),
    )
    expect(withBodies.length).toBeGreaterThan(10)
    const answers: Array<[string, number, string]> = []
    for (const { method, path, op } of withBodies) {
      const example = exampleOf(op.requestBody?.content['application/json']?.schema.$ref)
      expect(example, `${op.operationId} has no example`).toBeDefined()
      const url = path.replace('{secondary}', 'dc2').replace(/\{[a-z_]+\}/g, 'example')
      const method_ = method.toUpperCase() as 'POST' | 'PUT'
      const res = await fx.gw.app.inject({ method: method_, url, headers: AUTH, payload: example as object })
      answers.push([op.operationId, res.statusCode, res.json().code ?? ''])
    }
    // Refused for what the example names (no such pair, a healthy primary...), never for its shape, never a failure.
    expect(answers.filter(([, status, code]) => status === 400 || status >= 500 || /VALIDATION/.test(code))).toEqual([])
  })

  it('every /v1 operation has a description', () => {
    const missing = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([, ops]) => Object.values(ops))
      .filter((op) => !op.description)
      .map((op) => op.operationId)
    expect(missing).toEqual([])
  })
})
