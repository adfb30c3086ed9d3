import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { defaultMessages } from '@vault-dr/vault-sim'

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * An HTTP hop in front of an emulated DR secondary that serves `GET sys/storage/raft/autopilot/state` with the
 * X-Vault-Token, which vault-sim on this branch does not (its DR secondary answers "path disabled"). The token is
 * judged by the emulated secondary itself: the hop sends it as dr_operation_token to update-primary with both `token`
 * and `update_primary_addrs`, which vault-sim authorizes first and then refuses as a bad request, changing nothing.
 * Authorized: 200 with an autopilot-like body; refused: 403 permission denied, as Vault answers. Everything else is
 * forwarded. `answer` may replace the stand-in's answer (e.g. a Vault that does not serve the path).
 */
export async function startAutopilotStandIn(
  target: string,
  answer?: () => { status: number; body: string } | undefined,
) {
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req)
      const vaultToken = typeof req.headers['x-vault-token'] === 'string' ? req.headers['x-vault-token'] : undefined
      const send = (status: number, text: string) => {
        res.writeHead(status, text === '' ? {} : { 'content-type': 'application/json' })
        res.end(text)
      }
      if (req.url?.startsWith('/v1/sys/storage/raft/autopilot/state') && req.method === 'GET') {
        const replaced = answer?.()
        if (replaced !== undefined) return send(replaced.status, replaced.body)
        const probe = await fetch(`${target}/v1/sys/replication/dr/secondary/update-primary`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ dr_operation_token: vaultToken ?? '', token: 'x', update_primary_addrs: ['x'] }),
        })
        const text = await probe.text()
        if (text.includes(defaultMessages.updatePrimaryTokenAndAddrs)) {
          return send(200, JSON.stringify({ data: { healthy: true, failure_tolerance: 0, servers: {} } }))
        }
        if (probe.status === 503) return send(503, text)
        return send(403, JSON.stringify({ errors: ['permission denied'] }))
      }
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
      send(upstream.status, await upstream.text())
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
