import { mkdtempSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LogCapture } from '@vault-dr/core'
import { type ClusterHandle, startCluster } from '@vault-dr/vault-sim'
import { buildApp } from '../src/app.ts'
import { loadPrimaryAgentConfig } from '../src/config.ts'

export const API_TOKEN = 'primary-agent-test-token-0123456789'

/** Collects every log line the app writes, so tests can search them for secrets. */
export function captureLogs() {
  const capture = new LogCapture()
  return { stream: capture, text: () => capture.text }
}

export async function startPrimaryAgent(cluster: ClusterHandle, env: Record<string, string> = {}) {
  const logs = captureLogs()
  // Its own state folder (the fencing epoch it has seen), not one in the working directory every test would share.
  const stateDir = mkdtempSync(join(tmpdir(), 'vault-dr-primary-agent-state-'))
  const config = loadPrimaryAgentConfig({
    VAULT_DR_AGENT_STATE_DIR: stateDir,
    VAULT_DR_API_TOKEN: API_TOKEN,
    VAULT_ADDR: cluster.apiUrl,
    VAULT_TOKEN: cluster.rootToken,
    VAULT_DR_LOG_LEVEL: 'debug',
    VAULT_DR_STATUS_CACHE_MS: '0',
    VAULT_DR_WAIT_TIMEOUT_MS: '10000',
    ...env,
  })
  const app = await buildApp(config, { logStream: logs.stream })
  await app.ready()
  const call = async (
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
    token: string | null = API_TOKEN,
    headers: Record<string, string> = {},
  ) => {
    const res = await app.inject({
      method,
      url,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
    })
    return { status: res.statusCode, json: res.json() as Record<string, any>, headers: res.headers }
  }
  const close = async () => {
    await app.close()
    await rm(stateDir, { recursive: true, force: true })
  }
  return { app, logs, call, close }
}

export async function startTestCluster(opts: Parameters<typeof startCluster>[0] = {}) {
  return startCluster({ apiAddr: '127.0.0.1:0', clusterAddr: '127.0.0.1:0', ...opts })
}
