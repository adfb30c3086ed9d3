import { describe, expect, it } from 'vitest'
import { batchToken } from './helpers/batch-token.ts'
import { type Agent, AUTH, drStatus, enablePrimary, useHarness } from './helpers/harness.ts'

function merkleCheck(app: Agent, payload: Record<string, unknown>) {
  return app.inject({ method: 'POST', url: '/v1/dr/secondary/merkle-check', headers: AUTH, payload })
}

describe('POST /v1/dr/secondary/merkle-check (checkDrMerkleTree)', () => {
  const h = useHarness()

  /** A streaming pair, Vault's answer to merkle-check the one given when `answer` is. */
  const setup = (answer?: { status: number; body: string }) =>
    h.streamingPair(
      answer === undefined
        ? undefined
        : { route: { method: 'POST', path: 'sys/replication/dr/secondary/merkle-check' }, answer },
    )

  it('reports a clean secondary, then the corruption Vault finds, never echoing the token', async () => {
    const { primary, secondary, app, logs } = await setup()
    const token = await batchToken(primary, '1h', { replicatedTo: secondary })
    const clean = await merkleCheck(app, { dr_operation_token: token })
    expect(clean.statusCode, clean.body).toBe(200)
    expect(clean.headers['cache-control']).toBe('no-store')
    expect(clean.json()).toMatchObject({ outcome: 'clean', code: 'MERKLE_CLEAN', fix: null, corrupted_trees: [] })
    // Vault's own time of the check, which its DR status reports too (in Unix seconds).
    const status = await drStatus(secondary)
    expect(Date.parse(clean.json().checked_at)).toBe(Number(status.last_corruption_check_epoch) * 1000)

    secondary.faults.corruptMerkleTree()
    const corrupted = await merkleCheck(app, { dr_operation_token: token })
    expect(corrupted.json()).toMatchObject({
      outcome: 'corrupted',
      code: 'MERKLE_CORRUPTED',
      corrupted_trees: ['replicated'],
    })
    expect(corrupted.json().fix).toContain('reindex')
    expect(logs.text).not.toContain(token)
    expect(clean.body + corrupted.body).not.toContain(token)
  })

  it('is inconclusive when Vault refuses the token (another cluster, or a policy without merkle-check)', async () => {
    const { primary, secondary, app, logs } = await setup()
    const stranger = await h.cluster()
    await enablePrimary(stranger)
    const foreign = await batchToken(stranger, '1h')
    const refused = await merkleCheck(app, { dr_operation_token: foreign })
    expect(refused.statusCode, refused.body).toBe(200)
    expect(refused.json()).toMatchObject({ outcome: 'inconclusive', code: 'MERKLE_CHECK_TOKEN_REFUSED' })
    expect(refused.json().fix).toContain('dr-token rotate')

    const promoteOnly = await batchToken(primary, '1h', {
      policy: 'path "sys/replication/dr/secondary/promote" { capabilities = ["update"] }',
      replicatedTo: secondary,
    })
    const narrow = await merkleCheck(app, { dr_operation_token: promoteOnly })
    expect(narrow.json().code).toBe('MERKLE_CHECK_TOKEN_REFUSED')
    for (const token of [foreign, promoteOnly]) {
      expect(logs.text).not.toContain(token)
      expect(refused.body + narrow.body).not.toContain(token)
    }
  })

  it('is inconclusive where Vault does not serve merkle-check on its DR secondary', async () => {
    const disabled = { status: 404, body: JSON.stringify({ errors: ['unsupported path'] }) }
    const { primary, app } = await setup(disabled)
    const res = await merkleCheck(app, { dr_operation_token: await batchToken(primary, '1h') })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ outcome: 'inconclusive', code: 'MERKLE_CHECK_UNSUPPORTED' })
  })

  it('refuses a cluster that is not a DR secondary, and bad input with a 400 naming the field', async () => {
    const lone = await h.cluster()
    await enablePrimary(lone)
    const { app } = await h.agent(lone)
    const res = await merkleCheck(app, { dr_operation_token: 'hvb.whatever-token' })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('SECONDARY_ERR_NOT_DR_SECONDARY')
    expect(res.body).not.toContain('hvb.whatever-token')
    for (const payload of [{}, { dr_operation_token: '' }, { dr_operation_token: 'hvb.abc\ndef' }, { token: 'x' }]) {
      const bad = await merkleCheck(app, payload)
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400)
      expect(bad.json().errors).toContainEqual(expect.objectContaining({ path: 'body/dr_operation_token' }))
      expect(bad.body).not.toContain('abc\\ndef')
    }
  })
})
