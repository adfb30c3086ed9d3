import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Vault's answer, or what Vault answered turned into another one (Vault itself made the call). */
export type OverrideAnswer =
  | { status: number; body: string }
  | {
      rewrite: (answered: {
        status: number
        body: string
      }) => { status: number; body: string } | Promise<{ status: number; body: string }>
    }

/**
 * An HTTP hop in front of an emulated Vault that answers `method` on the Vault path `path` with `answer` (a Vault that
 * does not serve the call, as one without raft storage or of an older version; or Vault's own answer rewritten, as one
 * that echoes what it was sent) and forwards everything else.
 */
export async function startVaultPathOverride(
  target: string,
  route: { method: string; path: string },
  answer: OverrideAnswer,
) {
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req)
      const send = (status: number, text: string) => {
        res.writeHead(status, text === '' ? {} : { 'content-type': 'application/json' })
        res.end(text)
      }
      const overridden = req.url?.startsWith(`/v1/${route.path}`) && req.method === route.method
      if (overridden && !('rewrite' in answer)) return send(answer.status, answer.body)
      const headers: Record<string, string> = {}
      for (const name of ['x-vault-token', 'content-type', 'accept']) {
        const value = req.headers[name]
        if (typeof value === 'string') headers[name] = value
      }
      const upstream = await fetch(`${target}${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        headers,
        ...(body === '' ? {} : { body }),
      })
      const answered = { status: upstream.status, body: await upstream.text() }
      const sent = overridden && 'rewrite' in answer ? await answer.rewrite(answered) : answered
      send(sent.status, sent.body)
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
