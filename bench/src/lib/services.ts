import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { GATEWAY_NODE_FLAGS } from '@vault-dr/gateway/node-flags'
import { type Child, freePort, repoRoot, spawnNode, waitForStatus } from './children.ts'
import { randomToken, secretFile } from './secrets.ts'

export type ServiceName = 'gateway' | 'primary-agent' | 'secondary-agent'

export interface RunningService {
  name: string
  child: Child
  url: string
  /** The service's own VAULT_DR_API_TOKEN (bearer for /v1). */
  token: string
  /** performance.now() at spawn and when /readyz first answered 200. */
  spawnedAt: number
  readyAt: number
}

export interface ServiceOptions {
  /** Where logs and secret files go. */
  dir: string
  /** Extra environment (never secrets: those go through *_FILE). */
  env?: Record<string, string>
  nodeArgs?: string[]
  /** Run the built dist/server.js instead of src/server.ts (no source condition). */
  dist?: boolean
  readyTimeoutMs?: number
  readyIntervalMs?: number
  /** Wait for /readyz (default) or only /healthz. */
  waitFor?: 'readyz' | 'healthz'
}

export function serverScript(service: ServiceName, dist = false): string {
  return join(repoRoot, 'services', service, dist ? 'dist/server.js' : 'src/server.ts')
}

export function hasDist(service: ServiceName): boolean {
  return existsSync(serverScript(service, true))
}

let counter = 0

/**
 * Starts one of our services as a real server in its own process (`node --conditions=@vault-dr/source
 * services/<name>/src/server.ts`), on a free loopback port, with its secrets in 0600 files, and waits until it is ready.
 */
export async function startService(
  service: ServiceName,
  opts: ServiceOptions & { vault?: { addr: string; token: string } },
): Promise<RunningService> {
  const id = `${service}-${++counter}`
  const port = await freePort()
  const token = randomToken()
  const secrets = join(opts.dir, 'secrets')
  const env: Record<string, string> = {
    VAULT_DR_HOST: '127.0.0.1',
    VAULT_DR_PORT: String(port),
    VAULT_DR_API_TOKEN_FILE: secretFile(secrets, `${id}-api-token`, token),
    ...(opts.vault === undefined
      ? {}
      : { VAULT_ADDR: opts.vault.addr, VAULT_TOKEN_FILE: secretFile(secrets, `${id}-vault-token`, opts.vault.token) }),
    ...(process.env.BENCH_LOG_LEVEL ? { VAULT_DR_LOG_LEVEL: process.env.BENCH_LOG_LEVEL } : {}),
    // An agent's fencing epoch in the scratch folder, its own: the default (under the working directory) would carry
    // epochs from one run, and one benchmark, into the next.
    ...(service === 'gateway' ? {} : { VAULT_DR_AGENT_STATE_DIR: join(opts.dir, `${id}-state`) }),
    ...opts.env,
  }
  const spawnedAt = performance.now()
  // The gateway runs with the flags it is documented to run with in production.
  const nodeArgs = [...(service === 'gateway' ? GATEWAY_NODE_FLAGS : []), ...(opts.nodeArgs ?? [])]
  const child = spawnNode(id, serverScript(service, opts.dist), env, { logDir: opts.dir, source: !opts.dist, nodeArgs })
  const url = `http://127.0.0.1:${port}`
  try {
    const readyAt = await waitForStatus(`${url}/${opts.waitFor ?? 'readyz'}`, {
      timeoutMs: opts.readyTimeoutMs ?? 30_000,
      intervalMs: opts.readyIntervalMs ?? 20,
      child,
    })
    return { name: id, child, url, token, spawnedAt, readyAt }
  } catch (err) {
    await child.stop(2_000)
    throw err
  }
}
