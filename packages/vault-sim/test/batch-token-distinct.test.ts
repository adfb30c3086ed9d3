import { afterAll, describe, expect, it } from 'vitest'
import { startCluster } from '../src/index.ts'

describe('batch tokens', () => {
  const started: Array<{ close(): Promise<void> }> = []
  afterAll(async () => {
    for (const c of started) await c.close()
  })

  it('differ when two are made in the same second with the same policies and TTL, and both work', async () => {
    const c = await startCluster({ name: 'dc1' })
    started.push(c)
    const call = async (path: string, body?: unknown, token = c.rootToken) => {
      const res = await fetch(`${c.apiUrl}/v1/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'x-vault-token': token },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      return { status: res.status, body: (await res.json().catch(() => ({}))) as { auth?: { client_token?: string } } }
    }
    await call('auth/token/roles/b', { token_type: 'batch', orphan: true, renewable: false })
    const made = await Promise.all([1, 2].map(() => call('auth/token/create/b', { ttl: '1h' })))
    const [a, b] = made.map((m) => String(m.body.auth?.client_token))
    expect(a).toMatch(/^hvb\./)
    expect(a).not.toBe(b)
    for (const t of [a, b]) expect((await call('auth/token/lookup-self', undefined, t)).status).toBe(200)
  })
})
