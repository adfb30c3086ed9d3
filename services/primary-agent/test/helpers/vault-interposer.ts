import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface VaultAnswer {
  status: number
  body: string
}

export interface VaultRequest {
  method: string
  /** Path and query, e.g. /v1/sys/replication/dr/status. */
  path: string
  body: string
}

/** Decides one answer: Vault's own (`forward()`), one changed from it, or one made up. */
export type Interpose = (request: VaultRequest, forward: () => Promise<VaultAnswer>) => Promise<VaultAnswer>

export const vaultErrors = (status: number, ...errors: string[]): VaultAnswer => ({
  status,
  body: JSON.stringify({ errors }),
})

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * An HTTP hop in front of an emulated Vault's API that lets a test change what "Vault" answers: a load balancer that
 * lands on a node without the latest state (412), a node briefly unavailable after a role change (503), or a Vault
 * whose answers the emulator cannot give (DR mode "unsupported").
 */
export async function startVaultInterposer(target: string, interpose: Interpose) {
  const server = createServer((req, res) => {
    void (async () => {
      const request = { method: req.method ?? 'GET', path: req.url ?? '/', body: await readBody(req) }
      const forward = async (): Promise<VaultAnswer> => {
        const headers: Record<string, string> = {}
        for (const name of ['x-vault-token', 'content-type', 'accept']) {
          const value = req.headers[name]
          if (typeof value === 'string') headers[name] = value
        }
        const upstream = await fetch(`${target}${request.path}`, {
          method: request.method,
          headers,
          ...(request.body === '' ? {} : { body: request.body }),
        })
        return { status: upstream.status, body: await upstream.text() }
      }
      const answer = await interpose(request, forward)
      res.writeHead(answer.status, answer.body === '' ? {} : { 'content-type': 'application/json' })
      res.end(answer.body)
    })().catch((err: unknown) => {
      res.writeHead(599)
      res.end(String(err))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
