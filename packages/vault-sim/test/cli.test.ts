import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { type SimProcess, SimStartError, spawnSim } from './helpers/sim-process.ts'
import { vault, waitFor } from './helpers/vault-http.ts'

const fast = ['--bootstrap-ms', '30', '--merkle-diff-ms', '20', '--merkle-sync-ms', '30', '--heartbeat-ms', '50']
const fastRestart = ['--restart-ms', '20', '--reconnect-ms', '50']

/** The fixed addresses when free; other free ports on the same loopback IPs when something already holds them. */
async function spawnOnPreferredPorts(ip: string, name: string, token: string): Promise<SimProcess> {
  // Not --quiet: the test checks that the event lines never carry a token.
  const args = ['--name', name, ...fast, ...fastRestart]
  try {
    return await spawnSim(['--api-addr', `${ip}:8200`, '--cluster-addr', `${ip}:8201`, ...args], token)
  } catch (err) {
    if (!(err instanceof SimStartError) || !err.message.includes('EADDRINUSE')) throw err
    return spawnSim(['--api-addr', `${ip}:0`, '--cluster-addr', `${ip}:0`, ...args], token)
  }
}

async function drStatus(apiAddr: string, caPem?: string) {
  const r = await vault('GET', `${apiAddr}/v1/sys/replication/dr/status`, { caPem })
  return r.body.data as Record<string, unknown>
}

async function replicateBetween(primary: SimProcess, secondary: SimProcess, tokens: [string, string], caPem?: string) {
  const p = primary.info.api_addr
  const s = secondary.info.api_addr
  const enable = await vault('POST', `${p}/v1/sys/replication/dr/primary/enable`, { token: tokens[0], caPem })
  expect(enable.status).toBe(200)
  await waitFor(
    () => vault('GET', `${p}/v1/sys/health`, { caPem }),
    (r) => r.status === 200,
  )
  const minted = await vault('POST', `${p}/v1/sys/replication/dr/primary/secondary-token`, {
    token: tokens[0],
    body: { id: secondary.info.name },
    caPem,
  })
  const body = { token: minted.body.wrap_info?.token, ...(primary.info.ca_file && { ca_file: primary.info.ca_file }) }
  const activate = await vault('POST', `${s}/v1/sys/replication/dr/secondary/enable`, { token: tokens[1], body, caPem })
  expect(activate.status, activate.text).toBe(200)
  await vault('PUT', `${p}/v1/sys/policies/acl/ops`, {
    token: tokens[0],
    body: { policy: 'path "secret/*" { capabilities = ["read"] }' },
    caPem,
  })
  const primaryStatus = await drStatus(p, caPem)
  const streaming = await waitFor(
    () => drStatus(s, caPem),
    (st) => st.state === 'stream-wals' && st.last_remote_wal === primaryStatus.last_wal,
    { what: 'the secondary process to stream' },
  )
  expect(streaming).toMatchObject({
    cluster_id: primaryStatus.cluster_id,
    merkle_root: primaryStatus.merkle_root,
    connection_state: 'ready',
  })
}

describe('the vault-sim CLI', () => {
  const running: SimProcess[] = []
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')))
  })
  /** Starts processes in parallel; every one that started is stopped after the test, even if another failed. */
  const startAll = async (...starts: Array<Promise<SimProcess>>) => {
    const results = await Promise.allSettled(starts)
    const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    running.push(...started)
    const failure = results.find((r) => r.status === 'rejected')
    if (failure) throw failure.reason
    return started
  }

  it('runs two processes on 127.0.3.1 / 127.0.4.1 (8200/8201, or other free ports if taken) that replicate, and exits 0 on SIGTERM', async () => {
    const [primary, secondary] = await startAll(
      spawnOnPreferredPorts('127.0.3.1', 'dc1', 'root-one'),
      spawnOnPreferredPorts('127.0.4.1', 'dc2', 'root-two'),
    )
    if (!primary || !secondary) throw new Error('unreachable')
    expect(Object.keys(primary.info)).toEqual(['name', 'api_addr', 'cluster_addr'])
    expect(primary.info.api_addr).toMatch(/^http:\/\/127\.0\.3\.1:\d+$/)
    expect(secondary.info.cluster_addr).toMatch(/^https:\/\/127\.0\.4\.1:\d+$/)

    await replicateBetween(primary, secondary, ['root-one', 'root-two'])
    const logs = primary.stderr() + secondary.stderr()
    expect(logs).toContain('dr: enabled as secondary dc2')
    expect(logs).not.toMatch(/root-one|root-two|hvs\.|hvb\.|eyJ|PRIVATE KEY/)

    expect(await Promise.all([primary.stop('SIGTERM'), secondary.stop('SIGTERM')])).toEqual([0, 0])
  })

  it('serves TLS with --tls --ca-out, passes the CA file to activation, and exits 0 on SIGINT', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vault-sim-cli-'))
    try {
      const caFile = join(dir, 'dc1-ca.pem')
      const [primary, secondary] = await startAll(
        spawnSim(['--name', 'dc1', '--tls', '--ca-out', caFile, ...fast, ...fastRestart], 'root-one'),
        spawnSim(['--name', 'dc2', '--tls', '--ca-out', join(dir, 'dc2-ca.pem'), ...fast], 'root-two'),
      )
      if (!primary || !secondary) throw new Error('unreachable')
      expect(primary.info.ca_file).toBe(caFile)
      expect(primary.info.api_addr).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      // One trust bundle holding both API CAs, for the test's own calls.
      const bundle = `${await readFile(caFile, 'utf8')}${await readFile(join(dir, 'dc2-ca.pem'), 'utf8')}`
      await replicateBetween(primary, secondary, ['root-one', 'root-two'], bundle)
      expect(await Promise.all([primary.stop('SIGINT'), secondary.stop('SIGINT')])).toEqual([0, 0])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('takes faults and writes from outside through --admin-addr: a lost site and its return', async () => {
    const [sim] = await startAll(
      spawnSim(['--name', 'dc1', '--admin-addr', '127.0.0.1:0', ...fast, ...fastRestart], 'root-one'),
    )
    if (!sim?.info.admin_addr) throw new Error('no admin_addr printed')
    const admin = (path: string, body?: unknown) =>
      vault(body === undefined && path === '/state' ? 'GET' : 'POST', `${sim.info.admin_addr}${path}`, { body })
    const api = sim.info.api_addr
    const first = (await admin('/write', {})).body.last_wal as number
    expect((await admin('/write', { path: 'sim/named' })).body.last_wal).toBe(first + 1)

    expect((await admin('/isolate', { mode: 'refuse' })).status).toBe(200)
    await expect(vault('GET', `${api}/v1/sys/health`)).rejects.toThrow()
    expect((await admin('/state')).body.isolation).toBe('refuse')
    expect((await admin('/isolate', { mode: 'sideways' })).status).toBe(400)
    expect((await admin('/rejoin', {})).status).toBe(200)
    expect((await vault('GET', `${api}/v1/sys/health`)).status).toBe(200)
    expect((await admin('/state')).body).toMatchObject({ lastWal: first + 1, drMode: 'disabled' })
    expect(sim.stderr()).not.toContain('root-one')
  })

  it('prints the unseal key shares once on stdout when asked, never in the event log, or into --unseal-keys-out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vault-sim-keys-'))
    try {
      const keysFile = join(dir, 'keys')
      const [printed, filed, piped] = await startAll(
        spawnSim(['--name', 'dc1', '--key-shares', '3', '--key-threshold', '2', '--print-unseal-keys', ...fast], 'r1'),
        spawnSim(['--name', 'dc2', '--unseal-keys-out', keysFile, ...fast], 'root-two'),
        spawnSim(['--name', 'dc3', ...fast], 'root-three'),
      )
      if (!printed || !filed || !piped) throw new Error('unreachable')
      const keys = await waitFor(
        () => [...printed.stdout().matchAll(/^Unseal Key (\d): (\S+)$/gm)].map((m) => m[2] ?? ''),
        (found) => found.length === 3,
        { what: 'three key lines' },
      )
      for (const key of keys) expect(printed.stderr()).not.toContain(key)
      const seal = await vault('GET', `${printed.info.api_addr}/v1/sys/seal-status`)
      expect(seal.body).toMatchObject({ t: 2, n: 3 })
      expect(filed.stdout()).not.toContain('Unseal Key')
      // A piped stdout (as into a log file) gets no keys unless asked.
      await waitFor(
        () => piped.stderr(),
        (text) => text.includes('unseal key shares not printed'),
        { what: 'the note on stderr' },
      )
      expect(piped.stdout()).not.toContain('Unseal Key')
      expect(await readFile(keysFile, 'utf8')).toMatch(/^Unseal Key 1: \S+\n$/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('lists the emulated operations and the admin interface in --help', async () => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('../bin/vault-sim.js', import.meta.url)), '--help'])
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    await once(child, 'exit')
    for (const text of ['POST /isolate', 'generate-public-key', 'raft/{autopilot/state', '--heartbeat-timeout-ms']) {
      expect(out).toContain(text)
    }
  })

  it('refuses to start without a root token', async () => {
    await expect(spawnSim(['--name', 'x'], '')).rejects.toThrow(/VAULT_SIM_ROOT_TOKEN/)
  })
})
