import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../../test/helpers/app.ts'
import type { App } from './create-server.ts'

let app: App
beforeAll(async () => {
  ;({ app } = await buildTestApp())
  await app.ready()
})
afterAll(async () => {
  await app.close()
})

describe('Swagger UI at /docs', () => {
  it('serves its page, which loads the UI from /docs/static', async () => {
    for (const url of ['/docs', '/docs/']) {
      const res = await app.inject({ method: 'GET', url })
      expect({ url, status: res.statusCode }).toEqual({ url, status: 200 })
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      expect(res.body).toContain('swagger-ui-bundle.js')
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    }
  })

  it('serves the UI files and its initializer, which points at /docs/json', async () => {
    const bundle = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' })
    expect(bundle.statusCode).toBe(200)
    expect(bundle.headers['content-type']).toMatch(/javascript/)
    expect(bundle.rawPayload.length).toBeGreaterThan(100_000)
    const css = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' })
    expect(css.statusCode).toBe(200)
    expect(css.headers['content-type']).toMatch(/^text\/css/)
    const init = await app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' })
    expect(init.statusCode).toBe(200)
    expect(init.body).toContain('json')
  })

  it('answers a HEAD like the GET, without a body', async () => {
    const res = await app.inject({ method: 'HEAD', url: '/docs/static/swagger-ui.css' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/css/)
    expect(res.body).toBe('')
  })

  it('serves the same OpenAPI document at /docs/json and as YAML at /docs/yaml', async () => {
    const json = await app.inject({ method: 'GET', url: '/docs/json' })
    expect(json.statusCode).toBe(200)
    expect(json.json()).toEqual(app.swagger())
    const yaml = await app.inject({ method: 'GET', url: '/docs/yaml' })
    expect(yaml.statusCode).toBe(200)
    expect(yaml.headers['content-type']).toMatch(/^application\/x-yaml/)
    expect(yaml.body).toContain('openapi: 3.1.0')
  })

  it('answers an unknown file under /docs with the same problem+json 404 as any unknown route', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/static/nothing-here.js' })
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ status: 404, instance: res.headers['x-request-id'] })
  })

  it('keeps its own routes out of the OpenAPI document', () => {
    expect(Object.keys(app.swagger().paths ?? {}).filter((p) => p.startsWith('/docs'))).toEqual([])
  })
})
