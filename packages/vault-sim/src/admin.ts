import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ClusterHandle } from './cluster.ts'
import type { IsolationMode } from './faults.ts'
import { parseHostPort } from './options.ts'

/** The operations of the CLI's admin listener, for tests that drive a vault-sim process from outside. */
export const adminOperations = {
  'GET /state': 'the state() snapshot',
  'POST /isolate {"mode":"refuse"|"drop"}': 'a lost site: the whole cluster unreachable, data and role kept',
  'POST /rejoin': 'the site reachable again',
  'POST /write {"path"?}': 'a replicated write on a primary; answers {"last_wal"}',
  'POST /seal, POST /unseal': 'seal or unseal',
  'POST /stop, POST /start': 'both listeners down / back up',
  'POST /latency {"ms"}': 'milliseconds added to every API response',
} as const

export interface AdminListener {
  url: string
  close(): Promise<void>
}

/**
 * A small HTTP listener beside the emulated cluster, for faults and writes driven from outside the process. It is not
 * Vault's API and carries no secrets; bind it to loopback.
 */
export async function startAdminListener(cluster: ClusterHandle, addr: string): Promise<AdminListener> {
  const { host, port } = parseHostPort(addr)
  const server = http.createServer((request, response) => {
    void handle(cluster, request).then(
      (body) => reply(response, 200, body),
      (err: Error) => reply(response, err instanceof NotFound ? 404 : 400, { error: err.message }),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const bound = server.address() as AddressInfo
  return {
    url: `http://${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

class NotFound extends Error {}

async function handle(cluster: ClusterHandle, request: http.IncomingMessage): Promise<unknown> {
  const body = await readJson(request)
  const { faults } = cluster
  switch (`${request.method} ${request.url?.split('?')[0]}`) {
    case 'GET /state':
      return cluster.state()
    case 'POST /isolate':
      await faults.isolate(isolationMode(body.mode))
      return { isolation: cluster.state().isolation }
    case 'POST /rejoin':
      await faults.rejoin()
      return { isolation: null }
    case 'POST /write':
      return { last_wal: faults.write(typeof body.path === 'string' ? body.path : undefined) }
    case 'POST /seal':
      faults.seal()
      return {}
    case 'POST /unseal':
      faults.unseal()
      return {}
    case 'POST /stop':
      await faults.stop()
      return {}
    case 'POST /start':
      await faults.start()
      return {}
    case 'POST /latency':
      faults.setLatency(Number(body.ms) || 0)
      return {}
    default:
      throw new NotFound(`no admin operation ${request.method} ${request.url}`)
  }
}

function isolationMode(mode: unknown): IsolationMode {
  if (mode === undefined || mode === 'refuse' || mode === 'drop') return mode ?? 'refuse'
  throw new Error('mode must be "refuse" or "drop"')
}

async function readJson(request: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8').trim()
  if (text === '') return {}
  const parsed: unknown = JSON.parse(text)
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
}

function reply(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}
