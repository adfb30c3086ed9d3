import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { isCodedError } from '../errors.ts'
import { VaultClient } from './vault-client.ts'

let server: Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
})

/** A Vault that answers every call after `delayMs`. */
async function slowVault(delayMs: number): Promise<string> {
  server = createServer((_req, res) => {
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{}}'), delayMs)
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe("a call's own deadline", () => {
  it("outlasts the client's for a call Vault answers late, and only for that call", async () => {
    const client = new VaultClient({ addr: await slowVault(400), token: 'hvs.test', timeoutMs: 100 })
    await expect(client.write('sys/slow', {}, { timeoutMs: 5_000 })).resolves.toMatchObject({ status: 200 })
    const err = await client.write('sys/slow').catch((e: unknown) => e)
    expect(isCodedError(err, 'VAULT_ERR_TIMEOUT')).toBe(true)
    await client.close()
  })
})
