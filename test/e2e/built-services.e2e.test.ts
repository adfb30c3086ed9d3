import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { serviceOpenApi } from '../helpers/repo-paths.ts'

// The built services are bundles (dist/server.js and its chunks); what a bundler can break is whatever a package
// finds beside its own files, such as Swagger UI's pages, and the document built from the routes at run time.
let stack: E2EStack
beforeAll(async () => {
  stack = await startE2EStack()
})
afterAll(async () => {
  await stack?.close()
})

describe.each(['primaryAgent', 'secondaryAgent', 'gateway'] as const)('the built %s', (name) => {
  const service = { primaryAgent: 'primary-agent', secondaryAgent: 'secondary-agent', gateway: 'gateway' } as const

  it('serves the OpenAPI document committed in the repository', async () => {
    const res = await fetch(`${stack[name].url}/docs/json`)
    expect(res.status).toBe(200)
    const committed = JSON.parse(await readFile(serviceOpenApi(service[name]), 'utf8'))
    expect(await res.json()).toEqual(committed)
  })

  it('serves Swagger UI and its scripts', async () => {
    const page = await fetch(`${stack[name].url}/docs/static/index.html`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('swagger-ui')
    const script = await fetch(`${stack[name].url}/docs/static/swagger-ui-bundle.js`)
    expect(script.status).toBe(200)
    expect((await script.arrayBuffer()).byteLength).toBeGreaterThan(100_000)
  })
})
