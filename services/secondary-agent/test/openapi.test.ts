import { openApiGaps } from '@vault-dr/core'
import { describe, expect, it } from 'vitest'
import { useHarness } from './helpers/harness.ts'

describe('the OpenAPI document', () => {
  const h = useHarness()

  it('documents every problem as application/problem+json, and 400/401/500 (413/415 with a body) everywhere', async () => {
    const { app } = await h.agent(await h.cluster())
    await app.ready()
    const doc = app.swagger()
    expect(openApiGaps(doc)).toEqual([])
    for (const path of ['/v1/status', '/v1/tokens/inspect', '/v1/probes/primary']) {
      const operation = Object.values(doc.paths?.[path] ?? {})[0] as { responses: Record<string, unknown> }
      expect(Object.keys(operation.responses)).toContain('500')
    }
  })
})
