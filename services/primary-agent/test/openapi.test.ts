import { openApiGaps } from '@vault-dr/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { loadPrimaryAgentConfig } from '../src/config.ts'

let app: Awaited<ReturnType<typeof buildApp>>
beforeAll(async () => {
  app = await buildApp(
    loadPrimaryAgentConfig({
      VAULT_DR_API_TOKEN: 'openapi-test-token-0123456789',
      VAULT_ADDR: 'http://127.0.0.1:1',
      VAULT_TOKEN: 'unused',
      VAULT_DR_LOG_LEVEL: 'silent',
    }),
  )
  await app.ready()
})
afterAll(async () => {
  await app.close()
})

describe('the OpenAPI document', () => {
  it('documents every problem as application/problem+json, and 400/401/500 (413/415 with a body) everywhere', () => {
    expect(openApiGaps(app.swagger())).toEqual([])
  })

  it('documents 409 and the Vault failures on the routes that change Vault', () => {
    const paths = app.swagger().paths ?? {}
    for (const path of ['/v1/dr/primary/enable', '/v1/dr/primary/secondary-token', '/v1/dr/primary/revoke-secondary']) {
      expect(Object.keys(paths[path]?.post?.responses ?? {})).toEqual(
        expect.arrayContaining(['409', '413', '415', '502', '503', '504']),
      )
    }
  })
})
