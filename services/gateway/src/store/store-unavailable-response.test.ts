import type { RouteOptions } from 'fastify'
import { describe, expect, it } from 'vitest'
import { documentStoreUnavailable } from './store-unavailable-response.ts'

const route = (response?: Record<string, { description: string }>) =>
  ({ method: 'GET', url: '/v1/x', handler: () => undefined, schema: response && { response } }) as RouteOptions
const description503 = (r: RouteOptions) =>
  (r.schema?.response as Record<string, { description: string }> | undefined)?.[503]?.description

describe("the store's 503 in every route's documentation", () => {
  it('adds it to a route with responses, joins it to a 503 the route has, and leaves a route without responses alone', () => {
    const plain = route({ 200: { description: 'ok' } })
    documentStoreUnavailable(plain)
    expect(description503(plain)).toMatch(
      /^The gateway's store cannot be reached \(GATEWAY_ERR_STORE_UNAVAILABLE.*SQLite/,
    )
    const own = route({ 503: { description: 'Vault is sealed (X_ERR_SEALED)' } })
    documentStoreUnavailable(own)
    expect(description503(own)).toMatch(/^Vault is sealed \(X_ERR_SEALED\); or the gateway's store cannot be reached/)
    const bare = route()
    documentStoreUnavailable(bare)
    expect(bare.schema).toBeUndefined()
  })
})
