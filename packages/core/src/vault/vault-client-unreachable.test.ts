import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { VaultClient } from './vault-client.ts'

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('a Vault that refuses connections', () => {
  it('is read again with backoff by default, and reported at once with retryUnreachable: false', async () => {
    const port = await closedPort()
    const calls: string[] = []
    const vault = new VaultClient({
      addr: `http://127.0.0.1:${port}`,
      token: 't',
      retryBaseMs: 50,
      onCall: (c) => calls.push(c.path),
    })
    try {
      await expect(vault.read('sys/health')).rejects.toMatchObject({ code: 'VAULT_ERR_UNREACHABLE' })
      expect(calls).toHaveLength(3)
      calls.length = 0
      await expect(vault.read('sys/health', { retryUnreachable: false })).rejects.toMatchObject({
        code: 'VAULT_ERR_UNREACHABLE',
      })
      expect(calls).toHaveLength(1)
    } finally {
      await vault.close()
    }
  })
})
