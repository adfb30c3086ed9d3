import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { allOutput } from '../helpers/child-service.ts'
import { lagAsIs } from '../helpers/lag-as-is.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { repoRoot } from '../helpers/repo-paths.ts'
import {
  clusterOf,
  kvWrite,
  type SwitchStack,
  startSwitchStack,
  stepOf,
  until,
  waitForOperation,
} from './switchover-stack.ts'

let stack: SwitchStack | undefined

/** The CLI's environment: the stack's gateway and its API token. */
function cliOptions() {
  const s = stack as SwitchStack
  return {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      VAULT_DR_GATEWAY_ADDR: s.gateway.url,
      VAULT_DR_API_TOKEN_FILE: join(s.dir, 'gateway-api-token'),
    },
  }
}
const CLI = `${repoRoot}packages/cli/bin/vault-dr.js`

/**
 * Runs the CLI as an operator would, against the stack's gateway, in the background: what it printed so far, and its
 * end (its output then joins the logs searched for secrets).
 */
function vaultDrRunning(args: string[]) {
  const out = { stdout: '', stderr: '' }
  const child = execFile(process.execPath, [CLI, ...args], cliOptions())
  child.stdout?.on('data', (chunk: Buffer) => {
    out.stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    out.stderr += chunk.toString()
  })
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, ...out })),
  ).then((result) => {
    allOutput.push(...`${result.stdout}\n${result.stderr}`.split('\n').map((l) => `[cli] ${l}`))
    return result
  })
  /** Stops it unless it ended (a test that failed while it ran leaves no CLI retrying a stopped gateway). */
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  return { stdout: () => out.stdout, done, stop }
}

/** Runs the CLI to its end. */
const vaultDr = (args: string[]) => vaultDrRunning(args).done

async function plan(s: SwitchStack, body: { to: string; down_for?: string }) {
  const res = await s.api.POST('/v1/failovers/plan', { body: body as never })
  if (!res.data) throw new Error(`planFailover: ${res.response.status} ${JSON.stringify(res.error)}`)
  return res.data
}

afterAll(async () => {
  const secrets = stack?.secrets ?? []
  await stack?.close()
  expectNoSecretsInLogs(secrets)
})

describe('the vault-dr CLI driving operations against the gateway, agents and vault-sim as processes', () => {
  it('switchover (plan, then followed), operations list/show, a drill with its report, a follow across a gateway SIGKILL, failover refused then done with the site lost, rejoin', async () => {
    stack = await startSwitchStack({ gatewayEnv: { VAULT_DR_FENCE_CHECK_MS: '200' } })
    const s = stack
    const [dc1, dc2] = [clusterOf(s, 'dc1'), clusterOf(s, 'dc2')]

    const dry = await vaultDr(['switchover', '--to', 'dc2', '--dry-run'])
    expect(dry.code, dry.stderr + dry.stdout).toBe(0)
    expect(dry.stdout).toContain('switchover plan: dc1 → dc2 (dry run, nothing changed)')
    expect(dry.stdout).toContain('the switchover would start')
    expect(dc1.state().drMode).toBe('primary')

    const switched = await vaultDr(['switchover', '--to', 'dc2', '--follow'])
    expect(switched.code, switched.stderr + switched.stdout).toBe(0)
    for (const step of ['preflight', 'demote_primary', 'promote_secondary', 'rejoin_old_primary']) {
      expect(switched.stdout).toMatch(new RegExp(`✔ ${step}`))
    }
    const id = /following switchover (\S+)/.exec(switched.stdout)?.[1] as string
    expect(switched.stdout).toContain(`switchover ${id} succeeded`)
    expect(switched.stdout).toContain('WALs lost: 0')
    expect(dc2.state().drMode).toBe('primary')

    const listed = await vaultDr(['operations', 'list', '--kind', 'switchover', '--json'])
    expect(listed.code).toBe(0)
    expect(JSON.parse(listed.stdout).map((op: { id: string; state: string }) => [op.id, op.state])).toEqual([
      [id, 'succeeded'],
    ])
    const shown = await vaultDr(['operations', 'show', id])
    expect(shown.code).toBe(0)
    expect(shown.stdout).toContain(`switchover ${id}: dc1 → dc2: succeeded`)
    expect(shown.stdout).toMatch(/writes refused for \d+ ms/)

    const drill = await vaultDr(['drill', '--to', 'dc1', '--hold', '1s', '--check-interval', '1s', '--follow'])
    expect(drill.code, drill.stderr + drill.stdout).toBe(0)
    expect(drill.stdout).toMatch(/✔ hold/)
    expect(drill.stdout).toMatch(/leg 1 dc2 → dc1: writes refused \d+ ms \(RTO\), WALs lost 0 \(RPO\)/)
    expect(drill.stdout).toMatch(/leg 2 dc1 → dc2: writes refused \d+ ms \(RTO\), WALs lost 0 \(RPO\)/)
    expect(drill.stdout).toMatch(/hold .*: \d+ write checks, 0 refused/)
    expect(dc2.state().drMode).toBe('primary')

    // Following across a gateway killed mid-drill: the stream is reopened after the last event, nothing printed twice.
    const started = await vaultDr(['drill', '--to', 'dc1', '--hold', '3s', '--check-interval', '1s'])
    expect(started.code, started.stderr).toBe(0)
    const drillId = /^drill (\S+) pending/.exec(started.stdout)?.[1] as string
    expect(started.stdout).toContain(`follow it with: vault-dr operations follow ${drillId}`)
    const following = vaultDrRunning(['operations', 'follow', drillId])
    try {
      // Its stream open before the gateway is killed (a follower that attached after would see no loss).
      await until('the follower attached', 10_000, () => following.stdout().includes(`following drill ${drillId}`))
      await waitForOperation(s, drillId, (op) => stepOf(op, 'hold')?.status === 'running')
      await s.restartGateway('SIGKILL')
    } catch (err) {
      following.stop()
      throw err
    }
    const followed = await following.done
    expect(followed.code, followed.stderr + followed.stdout).toBe(0)
    expect(followed.stderr).toContain('(the event stream was lost; resuming')
    for (const step of ['out.promote_secondary', 'hold', 'back.promote_secondary', 'back.rejoin_old_primary']) {
      expect(followed.stdout.match(new RegExp(`✔ ${step.replace('.', '\\.')} `, 'g')), step).toHaveLength(1)
    }
    expect(followed.stdout).toContain(`drill ${drillId} succeeded`)
    expect(dc2.state().drMode).toBe('primary')

    // A healthy primary: the plan says why not, and a failover is refused as the gateway refuses any request.
    const healthyPlan = await vaultDr(['failover', '--to', 'dc1', '--dry-run'])
    expect(healthyPlan.code).toBe(1)
    expect(healthyPlan.stdout).toContain('primary dc2: healthy')
    expect(healthyPlan.stdout).toContain('vantage points:')
    expect(healthyPlan.stdout).toContain('estimated data loss:')
    expect(healthyPlan.stdout).toContain('DR operation token: the kept one')
    expect(healthyPlan.stdout).toContain('a failover would be refused: PRIMARY_HEALTHY')
    const healthy = await vaultDr(['failover', '--to', 'dc1'])
    expect(healthy.code).toBe(3)
    expect(healthy.stderr).toContain('code: GATEWAY_ERR_FAILOVER_REFUSED')
    expect(healthy.stderr).toContain('switchover')

    // dc2's site is lost after it took writes dc1 never received (dc1 has every earlier one).
    await until('dc1 caught up', 10_000, () => dc1.state().lastWal === dc2.state().lastWal)
    await dc2.faults.closeClusterListener()
    for (let i = 0; i < 2; i++) expect(await kvWrite(dc2, s.rootToken, `lost/${i}`)).toBe(true)
    let behind = 0
    await until('dc1 seen behind', 10_000, async () => {
      behind = lagAsIs((await plan(s, { to: 'dc1' })).pair.lag, dc2, dc1) ?? 0
      return behind > 0
    })
    expect(behind).toBe(2)
    await dc2.faults.isolate('refuse')
    await until(
      'dc2 judged down',
      20_000,
      async () => (await plan(s, { to: 'dc1', down_for: '2s' })).primary_verdict === 'down',
    )

    const lossy = await vaultDr(['failover', '--to', 'dc1', '--down-for', '2s'])
    expect(lossy.code).toBe(3)
    expect(lossy.stderr).toContain(`DATA_LOSS: the secondary lacks ${behind} WAL(s)`)
    expect(lossy.stderr).toContain('--allow-data-loss')
    expect(dc1.state().drMode).toBe('secondary')

    const failedOver = await vaultDr(['failover', '--to', 'dc1', '--down-for', '2s', '--allow-data-loss', '--follow'])
    expect(failedOver.code, failedOver.stderr + failedOver.stdout).toBe(0)
    expect(failedOver.stdout).toMatch(/✔ promote_secondary/)
    expect(failedOver.stdout).toMatch(/✔ fence_old_primary .*agents refuse calls older than epoch \d+/)
    expect(failedOver.stdout).toMatch(/failover \S+ succeeded/)
    expect(failedOver.stdout).toContain(`WALs lost: ${behind}`)
    expect(dc1.state().drMode).toBe('primary')

    // The site returns: the gateway demotes dc2, then the CLI rejoins it to dc1 without a wipe.
    await dc2.faults.rejoin()
    await until('dc2 demoted', 10_000, () => dc2.state().drMode === 'secondary')
    const rejoined = await vaultDr(['rejoin', 'dc2', '--follow', '--json'])
    expect(rejoined.code, rejoined.stderr + rejoined.stdout).toBe(0)
    const events = rejoined.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; operation: { state: string } | string })
    expect(events.at(-1)).toMatchObject({ event: 'finished', operation: { kind: 'rejoin', state: 'succeeded' } })
    expect(events.filter((e) => e.event === 'step').length).toBeGreaterThanOrEqual(3)
    expect(dc2.state()).toMatchObject({ drMode: 'secondary', drState: 'stream-wals' })
  })
})
