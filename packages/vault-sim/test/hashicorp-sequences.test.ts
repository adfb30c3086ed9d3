import { afterEach, describe, expect, it } from 'vitest'
import { type SimProcess, spawnSim } from './helpers/sim-process.ts'
import { vault, waitFor } from './helpers/vault-http.ts'

// HashiCorp's own failover sequences, run against separate vault-sim processes through plain HTTP only: the order of
// sdk/helper/testcluster (replication.go) and the order of the enos DR scenario (promote first).

const timings = [
  ...['--bootstrap-ms', '30', '--merkle-diff-ms', '20', '--merkle-sync-ms', '30', '--heartbeat-ms', '50'],
  ...['--restart-ms', '40', '--reconnect-ms', '50', '--heartbeat-timeout-ms', '400'],
]

type Body = Record<string, unknown>

interface Site {
  name: string
  api: string
  /** The root token that works there: its own, until it adopts a primary's. */
  root: string
  process: SimProcess
}

const call = async (site: Site, method: string, path: string, body?: Body, token?: string) => {
  const r = await vault(method, `${site.api}/v1/${path}`, { body, ...(token && { token }) })
  return r
}
const ok = async (site: Site, method: string, path: string, body?: Body, token = site.root) => {
  const r = await call(site, method, path, body, token)
  if (r.status >= 300) throw new Error(`${site.name} ${method} ${path}: ${r.status} ${r.text}`)
  return r
}
const status = async (site: Site) => (await ok(site, 'GET', 'sys/replication/dr/status')).body.data as Body
const health = (site: Site) => call(site, 'GET', 'sys/health')

/** testcluster's WaitForActiveNode / enos' wait-for-leader: sys/leader names a leader again. */
const waitForLeader = (site: Site) =>
  waitFor(
    () => call(site, 'GET', 'sys/leader'),
    (r) => r.status === 200 && r.body.leader_address !== '' && r.body.is_self === true,
    { what: `a leader on ${site.name}` },
  )

/** enos wait-for-leader-ready.sh: stream-wals, mode secondary, no corrupted merkle tree. */
const waitForReadySecondary = (site: Site) =>
  waitFor(
    () => status(site),
    (s) => s.state === 'stream-wals' && s.mode === 'secondary' && s.corrupted_merkle_tree === false,
    { what: `${site.name} ready as a secondary` },
  )

/** Fact sheet 2.9: enos verify-replication-status.sh and testcluster's checks, for a primary and its secondaries. */
async function expectHealthy(primary: Site, secondaries: Site[]) {
  const leader = (await ok(primary, 'GET', 'sys/leader')).body
  const p = await waitFor(
    () => status(primary),
    (s) =>
      (s.secondaries as Body[] | undefined)?.length === secondaries.length &&
      (s.secondaries as Body[]).every((x) => x.connection_status !== 'disconnected'),
    { what: `${primary.name} to see its secondaries connected` },
  )
  expect(p).toMatchObject({ mode: 'primary', state: 'running' })
  expect([...(p.known_secondaries as string[])].sort()).toEqual(secondaries.map((s) => s.name).sort())
  expect((await health(primary)).body.replication_dr_mode).toBe('primary')
  for (const site of secondaries) {
    const s = await waitForReadySecondary(site)
    expect(s.state).not.toBe('idle')
    expect((s.primaries as Body[])[0]?.connection_status).not.toBe('disconnected')
    expect(s.known_primary_cluster_addrs).toContain(leader.leader_cluster_address)
    const h = await health(site)
    expect(h.status).toBe(472)
    expect(h.body.replication_dr_mode).toBe('secondary')
  }
  // A primary write reaches every secondary: last_remote_wal follows, merkle roots agree.
  await ok(primary, 'PUT', 'secret/data/verify', { data: { at: Date.now() } })
  const target = await status(primary)
  for (const site of secondaries) {
    await waitFor(
      () => status(site),
      (s) => s.last_remote_wal === target.last_wal && s.merkle_root === target.merkle_root,
      { what: `${site.name} to catch up with ${primary.name}` },
    )
  }
}

/** enos generate_dr_operation_token: the policy, the batch role and a token of that role, on the primary. */
async function batchDrToken(primary: Site): Promise<string> {
  const policy = [
    'path "sys/replication/dr/secondary/promote" { capabilities = ["update"] }',
    'path "sys/replication/dr/secondary/update-primary" { capabilities = ["update"] }',
    'path "sys/storage/raft/autopilot/state" { capabilities = ["update", "read"] }',
  ].join('\n')
  await ok(primary, 'PUT', 'sys/policies/acl/dr-secondary-promotion', { policy })
  await ok(primary, 'PUT', 'auth/token/roles/failover-handler', {
    allowed_policies: 'dr-secondary-promotion',
    orphan: true,
    renewable: false,
    token_type: 'batch',
  })
  const created = await ok(primary, 'POST', 'auth/token/create/failover-handler', { ttl: '8h' })
  return String(created.body.auth?.client_token)
}

async function activate(primary: Site, secondary: Site) {
  await ok(primary, 'POST', 'sys/replication/dr/primary/enable')
  await waitForLeader(primary)
  const minted = await ok(primary, 'POST', 'sys/replication/dr/primary/secondary-token', { id: secondary.name })
  await ok(secondary, 'POST', 'sys/replication/dr/secondary/enable', { token: minted.body.wrap_info?.token })
  secondary.root = primary.root
  await waitForReadySecondary(secondary)
}

/** testcluster retries promote on 503 ("still catching up") up to 10 times. */
async function promote(site: Site, drToken: string) {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const r = await call(site, 'POST', 'sys/replication/dr/secondary/promote', { dr_operation_token: drToken })
    if (r.status !== 503) return r
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${site.name} still catching up after 10 promote attempts`)
}

/** The public-key route back: generate-public-key on the demoted site, secondary-token on the new primary, update-primary. */
async function repointWithPublicKey(demoted: Site, primary: Site, drToken: string) {
  const key = await ok(demoted, 'POST', 'sys/replication/dr/secondary/generate-public-key')
  const minted = await ok(primary, 'POST', 'sys/replication/dr/primary/secondary-token', {
    id: demoted.name,
    secondary_public_key: key.body.data?.secondary_public_key,
  })
  expect(minted.body.wrap_info).toBeNull()
  const updated = await call(demoted, 'POST', 'sys/replication/dr/secondary/update-primary', {
    dr_operation_token: drToken,
    token: minted.body.data?.token,
  })
  // testcluster fails on an empty answer ("nil status response during update primary").
  expect(updated.status, updated.text).toBe(200)
  expect(updated.text).not.toBe('')
  await waitForLeader(demoted)
}

describe("HashiCorp's failover sequences against vault-sim processes", () => {
  const running: SimProcess[] = []
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop('SIGTERM')))
  })
  async function sites(...names: string[]): Promise<Site[]> {
    const started = await Promise.allSettled(
      names.map((name) => spawnSim(['--name', name, '--api-addr', '127.0.0.1:0', ...timings], `root-${name}`)),
    )
    for (const r of started) if (r.status === 'fulfilled') running.push(r.value)
    return started.map((r, i) => {
      if (r.status === 'rejected') throw r.reason
      const name = names[i] ?? ''
      return { name, api: r.value.info.api_addr, root: `root-${name}`, process: r.value }
    })
  }

  it('testcluster order: batch token on A, demote A, promote B, public key from A, token from B, update-primary on A; RPO 0 WALs', async () => {
    const [a, b] = await sites('dc-a', 'dc-b')
    if (!a || !b) throw new Error('unreachable')
    await activate(a, b)
    const drToken = await batchDrToken(a)
    for (let i = 0; i < 5; i += 1) await ok(a, 'PUT', `secret/data/app/${i}`, { data: { i } })

    expect((await ok(a, 'POST', 'sys/replication/dr/primary/demote')).body.warnings).toHaveLength(1)
    // sys/health reports last_wal only on an active node: after the demote's brief window with none.
    await waitForLeader(a)
    const lastWalOfA = (await health(a)).body.last_wal as number
    expect((await health(a)).status).toBe(472)
    // The demote ends A's stream, so what B holds once it notices is all it will ever get from A.
    const cut = await waitFor(
      () => status(b),
      (s) => s.connection_state !== 'ready',
      { what: 'B to lose the demoted A' },
    )
    // What the failover loses: A's last WAL minus what B holds when promoted.
    expect(lastWalOfA - (cut.last_remote_wal as number)).toBe(0)

    const promoted = await promote(b, drToken)
    expect(promoted.status).toBe(200)
    await waitForLeader(b)
    expect((await health(b)).status).toBe(200)
    expect((await health(b)).body.replication_dr_mode).toBe('primary')
    const read = await ok(b, 'GET', 'secret/data/app/4')
    expect(read.body.data).toMatchObject({ data: { i: 4 } })

    await repointWithPublicKey(a, b, drToken)
    await expectHealthy(b, [a])
    for (const site of [a, b]) expect(site.process.stderr()).not.toMatch(/root-dc|hvs\.|hvb\.|eyJ|PRIVATE KEY/)
  })

  it('enos order with three clusters: promote B while A is up, demote A, re-point A by public key and C by a wrapped token', async () => {
    const [a, b, c] = await sites('dc-a', 'dc-b', 'dc-c')
    if (!a || !b || !c) throw new Error('unreachable')
    await activate(a, b)
    const minted = await ok(a, 'POST', 'sys/replication/dr/primary/secondary-token', { id: c.name })
    await ok(c, 'POST', 'sys/replication/dr/secondary/enable', { token: minted.body.wrap_info?.token })
    c.root = a.root
    await waitForReadySecondary(c)
    const drToken = await batchDrToken(a)
    await ok(a, 'PUT', 'secret/data/before', { data: { n: 1 } })
    await waitFor(
      async () => [await status(a), await status(b)],
      ([pa, sb]) => sb?.last_remote_wal === pa?.last_wal,
      { what: 'B to catch up before the promotion' },
    )

    expect((await promote(b, drToken)).status).toBe(200)
    await waitForLeader(b)
    // Split brain until A is demoted: both primaries of one replication set, both taking writes.
    expect((await status(a)).mode).toBe('primary')
    await ok(a, 'PUT', 'secret/data/split-brain', { data: { lost: true } })
    expect((await ok(a, 'POST', 'sys/replication/dr/primary/demote')).status).toBe(200)
    await waitForLeader(a)

    await repointWithPublicKey(a, b, drToken)
    const forC = await ok(b, 'POST', 'sys/replication/dr/primary/secondary-token', { id: c.name })
    const updated = await call(c, 'POST', 'sys/replication/dr/secondary/update-primary', {
      dr_operation_token: drToken,
      token: forC.body.wrap_info?.token,
    })
    expect(updated.status, updated.text).toBe(200)
    await waitForLeader(c)
    await expectHealthy(b, [a, c])
    // A's write after the promotion was never replicated: the demoted A took B's data.
    expect((await call(b, 'GET', 'secret/data/split-brain', undefined, b.root)).status).toBe(404)
    expect((await ok(b, 'GET', 'secret/data/before')).body.data).toMatchObject({ data: { n: 1 } })
  })
})
