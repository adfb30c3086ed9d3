import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestPki } from '../../packages/core/test/helpers/certs.ts'
import { closeServer, listenLocal, trackSockets } from '../../packages/core/test/helpers/net.ts'

export interface HookCall {
  path: string
  body: Record<string, unknown>
}

/** What the hook answers a call: a status (and text), after whatever the test does first. */
export type HookHandler = (call: HookCall) => Promise<{ status: number; text?: string }>

export interface HookServer {
  /** https://127.0.0.1:<port> */
  url: string
  /** The PEM file of the CA that signed its certificate: the gateway's VAULT_DR_HOOK_CACERT. */
  caFile: string
  calls: HookCall[]
  close(): Promise<void>
}

/** An HTTPS server on loopback standing for an operator's hook, with a certificate of a CA made for the test. */
export async function startHookServer(handle: HookHandler): Promise<HookServer> {
  const pki = await createTestPki({ commonName: '127.0.0.1' })
  const dir = await mkdtemp(join(tmpdir(), 'vault-dr-hook-'))
  const caFile = join(dir, 'hook-ca.pem')
  await writeFile(caFile, pki.ca.certPem)
  const calls: HookCall[] = []
  const server = createServer(
    { cert: pki.server.certPem, key: pki.server.keyPem },
    (req: IncomingMessage, res: ServerResponse) => {
      let text = ''
      req.on('data', (chunk: Buffer) => {
        text += chunk.toString()
      })
      req.on('end', () => {
        const call = { path: req.url ?? '/', body: JSON.parse(text || '{}') as Record<string, unknown> }
        calls.push(call)
        void handle(call).then(
          (answer) => res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.text ?? ''),
          () => res.writeHead(500).end('the test hook failed'),
        )
      })
    },
  )
  const sockets = trackSockets(server)
  const port = await listenLocal(server)
  return {
    url: `https://127.0.0.1:${port}`,
    caFile,
    calls,
    async close() {
      await closeServer(server, sockets)
      await rm(dir, { recursive: true, force: true })
    },
  }
}
