import { type ClusterHandle, startCluster, testTimings } from '@vault-dr/vault-sim'
import { afterEach, describe, expect, it } from 'vitest'
import { waitStreaming } from '../../bench/src/lib/vault-direct.ts'
import { bareSwitchover, makeDrOperationToken, vaultWrite } from '../../bench/src/switchover-bare.ts'

const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function cluster(name: string): Promise<ClusterHandle> {
  const c = await startCluster({ name, timings: testTimings })
  closers.push(() => c.close())
  return c
}

async function kvWrite(c: ClusterHandle, path: string, value: string) {
  const res = await fetch(`${c.apiUrl}/v1/secret/data/${path}`, {
    method: 'POST',
    headers: { 'x-vault-token': c.rootToken },
    body: JSON.stringify({ data: { value } }),
  })
  expect(res.status).toBe(200)
}

async function kvRead(c: ClusterHandle, token: string, path: string): Promise<unknown> {
  const res = await fetch(`${c.apiUrl}/v1/secret/data/${path}`, { headers: { 'x-vault-token': token } })
  if (res.status !== 200) return undefined
  return ((await res.json()) as { data?: { data?: { value?: unknown } } }).data?.data?.value
}

describe('the bare switchover sequence against vault-sim (the benchmark baseline, and the order the gateway follows)', () => {
  it('demote, catch up, promote, writes, public key, token, update-primary: dc2 primary with every write, dc1 following it, and back', async () => {
    const dc1 = await cluster('dc1')
    const dc2 = await cluster('dc2')
    await vaultWrite(dc1, 'sys/replication/dr/primary/enable', {})
    const minted = await vaultWrite(dc1, 'sys/replication/dr/primary/secondary-token', { id: 'dc2', ttl: '5m' })
    await vaultWrite(dc2, 'sys/replication/dr/secondary/enable', { token: minted.wrap_info?.token })
    await waitStreaming(dc2, 10, 10_000)
    const drToken = await makeDrOperationToken(dc1)
    for (let i = 0; i < 20; i++) await kvWrite(dc1, `before/${i}`, `v${i}`)

    const there = await bareSwitchover(dc1, dc2, drToken, { fromSecondaryId: 'dc1', pollMs: 10, timeoutMs: 10_000 })
    expect(there.walsLost).toBe(0)
    expect(dc2.state().drMode).toBe('primary')
    expect(dc1.state().drMode).toBe('secondary')
    expect(dc1.state().drState).toBe('stream-wals')
    expect(dc1.state().secondaryId).toBe('dc1')
    // dc1's root token is replicated data: it works on the promoted dc2, and every write made on dc1 is there.
    for (let i = 0; i < 20; i++) expect(await kvRead(dc2, dc1.rootToken, `before/${i}`)).toBe(`v${i}`)
    expect(there.writeUnavailableMs).toBeGreaterThan(0)
    expect(there.writeUnavailableMs).toBeLessThan(there.ms)

    await kvWrite({ ...dc2, rootToken: dc1.rootToken } as ClusterHandle, 'after/0', 'on-dc2')
    const back = await bareSwitchover({ apiUrl: dc2.apiUrl, rootToken: dc1.rootToken }, dc1, drToken, {
      fromSecondaryId: 'dc2',
      pollMs: 10,
      timeoutMs: 10_000,
    })
    expect(back.walsLost).toBe(0)
    expect(dc1.state().drMode).toBe('primary')
    expect(dc2.state().drMode).toBe('secondary')
    expect(dc2.state().drState).toBe('stream-wals')
    expect(await kvRead(dc1, dc1.rootToken, 'after/0')).toBe('on-dc2')
  })
})
