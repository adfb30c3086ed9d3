import { describe, expect, it } from 'vitest'
import { freeStablePort, PORT_SHARES, portShare, STABLE_PORTS } from '../src/net/stable-port.ts'

describe('stable ports picked side by side', () => {
  it('reads its share from VAULT_SIM_PORT_SHARE, else the test worker number, else takes every port', () => {
    expect(portShare({ VAULT_SIM_PORT_SHARE: '3', VITEST_POOL_ID: '1' })).toBe(2)
    expect(portShare({ VITEST_POOL_ID: '2' })).toBe(1)
    expect(portShare({ VITEST_POOL_ID: String(PORT_SHARES + 1) })).toBe(0)
    expect(portShare({})).toBeUndefined()
    expect(portShare({ VAULT_SIM_PORT_SHARE: 'x' })).toBeUndefined()
  })

  it('hands this process only ports of its own share, so another worker never picks one of them', async () => {
    // Under vitest, on Linux: a worker number, and a known ephemeral range.
    const share = portShare() as number
    const ports = STABLE_PORTS as { low: number; high: number }
    expect(share).toBeTypeOf('number')
    expect(ports).toBeDefined()
    for (let i = 0; i < 20; i++) {
      const port = await freeStablePort()
      expect(port).toBeGreaterThanOrEqual(ports.low)
      expect(port).toBeLessThanOrEqual(ports.high)
      expect((port - ports.low) % PORT_SHARES).toBe(share)
    }
  })
})
