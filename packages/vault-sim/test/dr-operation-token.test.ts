import { describe, expect, it } from 'vitest'
import { drStatus, errorsOf, replicate, useClusters } from './helpers/clusters.ts'
import { drCall, mintBatchDrToken, mintServiceToken } from './helpers/dr-tokens.ts'

describe('dr_operation_token', () => {
  const start = useClusters()

  it('is a batch token: the root token and service tokens are refused even when their policy grants the path', async () => {
    const primary = await start({ name: 'dc1' })
    const secondary = await start({ name: 'dc2' })
    const batch = await mintBatchDrToken(primary)
    const service = await mintServiceToken(primary, ['dr-secondary-promotion'])
    await replicate(primary, secondary)

    for (const token of [primary.rootToken, service]) {
      const refused = await drCall(secondary, 'secondary/promote', { dr_operation_token: token })
      expect(refused.status).toBe(403)
      expect(errorsOf(refused.body)).toEqual(['permission denied'])
    }
    expect((await drStatus(secondary)).mode).toBe('secondary')
    expect((await drCall(secondary, 'secondary/promote', { dr_operation_token: batch })).status).toBe(200)
  })
})
