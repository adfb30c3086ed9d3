import { Readable } from 'node:stream'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { runCli } from '../src/main.ts'
import { capture, problem, type Route, startStandInGateway } from './stand-in-gateway.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

const SHARES = ['c2hhcmUtb25lLXNlY3JldA==', 'c2hhcmUtdHdvLXNlY3JldA==', 'c2hhcmUtdGhyZWUtc2VjcmV0']
const base = '/v1/pairs/dc2/dr-operation-token/ceremony'

describe('dr-token ceremony', () => {
  const routes: Record<string, Route> = {}
  let gateway: Awaited<ReturnType<typeof startStandInGateway>>
  let given = 0
  beforeAll(async () => {
    gateway = await startStandInGateway(routes)
  })
  afterAll(() => gateway.close())
  beforeEach(() => {
    gateway.seen.length = 0
    given = 0
    routes[`POST ${base}`] = () => ({ status: 201, body: { nonce: 'n-1', progress: 0, required: 3, complete: false } })
    routes[`POST ${base}/n-1/shares`] = () => {
      given += 1
      return { status: 200, body: { nonce: 'n-1', progress: given, required: 3, complete: given === 3 } }
    }
    routes[`DELETE ${base}`] = () => ({ status: 200, body: { cancelled: true } })
  })

  const stdin = (lines: string[]) => Readable.from([`${lines.join('\n')}\n`])
  const sent = () => gateway.seen.filter((r) => r.url.endsWith('/shares')).map((r) => (r.body as { key: string }).key)

  it('sends each share from stdin once, shows progress but never a share, and exits 0 when complete', async () => {
    const io = capture()
    expect(await runCli(['dr-token', 'ceremony', 'dc2'], gateway.env, stdin(['', ...SHARES]))).toBe(0)
    expect(sent()).toEqual(SHARES)
    expect(io.err()).toContain('3 of the primary')
    expect(io.err()).toContain('share accepted: 3 of 3')
    expect(io.out()).toContain('keeps it sealed')
    for (const share of SHARES) expect(io.out() + io.err()).not.toContain(share)
    expect(gateway.seen.some((r) => r.method === 'DELETE')).toBe(false)
  })

  it('cancels the attempt when the input ends early, exit 1 with a fix (as JSON with --json)', async () => {
    const io = capture()
    expect(await runCli(['dr-token', 'ceremony', 'dc2', '--json'], gateway.env, stdin(SHARES.slice(0, 2)))).toBe(1)
    expect(JSON.parse(io.out())).toMatchObject({ code: 'CLI_ERR_CEREMONY_INCOMPLETE', fix: expect.any(String) })
    expect(gateway.seen.at(-1)?.method).toBe('DELETE')
  })

  it('cancels and reports a refused share with its code and fix, never the share', async () => {
    routes[`POST ${base}/n-1/shares`] = () =>
      problem(400, 'SECONDARY_ERR_CEREMONY_SHARE_REJECTED', 'Vault refused the key share.', 'Give the primary shares.')
    const io = capture()
    expect(await runCli(['dr-token', 'ceremony', 'dc2'], gateway.env, stdin(SHARES))).toBe(3)
    expect(io.err()).toContain('SECONDARY_ERR_CEREMONY_SHARE_REJECTED')
    expect(io.err()).not.toContain(SHARES[0])
    expect(gateway.seen.some((r) => r.method === 'DELETE')).toBe(true)
  })
})
