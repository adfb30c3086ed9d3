import { readFileSync } from 'node:fs'
import { EPOCH_REQUIRED_OPERATIONS, FENCED_OPERATIONS } from '@vault-dr/core'
import { describe, expect, it } from 'vitest'

type Doc = { paths: Record<string, Record<string, { operationId: string; parameters?: any[]; responses: object }>> }
const doc = (service: string) =>
  JSON.parse(readFileSync(new URL(`../services/${service}/openapi.json`, import.meta.url), 'utf8')) as Doc

const operations = (d: Doc) =>
  Object.entries(d.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, ...op })),
  )

describe("the agents' committed OpenAPI documents", () => {
  const primary = operations(doc('primary-agent'))
  const secondary = operations(doc('secondary-agent'))

  it('list the same operations (each agent keeps its own status operationId)', () => {
    const ids = (ops: typeof primary) =>
      ops.map((o) => `${o.method} ${o.path} ${o.operationId.replace(/^get(Primary|Secondary)Status$/, 'getStatus')}`)
    expect(ids(primary).sort()).toEqual(ids(secondary).sort())
    expect(primary.find((o) => o.path === '/v1/status')?.operationId).toBe('getPrimaryStatus')
    expect(secondary.find((o) => o.path === '/v1/status')?.operationId).toBe('getSecondaryStatus')
    for (const id of ['checkClusterWrites', 'createDrOperationToken', 'checkDrOperationToken', 'demoteDrPrimary']) {
      expect(primary.map((o) => o.operationId)).toContain(id)
    }
  })

  it('document x-vault-dr-epoch and its 409 on every fenced operation, and on no other', () => {
    for (const op of [...primary, ...secondary]) {
      const header = op.parameters?.find((p) => p.in === 'header' && p.name === 'x-vault-dr-epoch')
      const responses = op.responses as Record<string, { description?: string }>
      if (FENCED_OPERATIONS.has(op.operationId)) {
        // Optional, except on the fence calls: a fence from a caller that names no epoch must not act.
        expect(header, op.operationId).toMatchObject({ required: EPOCH_REQUIRED_OPERATIONS.has(op.operationId) })
        expect(responses['409']?.description, op.operationId).toContain('AGENT_ERR_STALE_EPOCH')
      } else {
        expect(header, op.operationId).toBeUndefined()
      }
    }
  })
})
