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

  it('every /v1 operation has a description', () => {
    const missing = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([, ops]) => Object.values(ops))
      .filter((op) => !op.description)
      .map((op) => op.operationId)
    expect(missing).toEqual([])
  })
})
