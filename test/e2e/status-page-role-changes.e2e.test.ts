import { randomBytes } from 'node:crypto'
import type { Browser, Page, Request } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/headless-chromium.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'
import { type HookServer, startHookServer } from './switchover-hook-server.ts'
import { type SwitchStack, startSwitchStack, waitForOperation } from './switchover-stack.ts'

/** Run in the page: every rendering of a step of the running operations, in order (see status-page.e2e.test.ts). */
const RECORD_STEPS = `
  window.seenSteps = []
  new MutationObserver((records) => {
    for (const record of records)
      for (const node of record.addedNodes)
        if (node instanceof Element)
          for (const li of node.querySelectorAll('li[data-step]'))
            window.seenSteps.push(li.getAttribute('data-step') + ':' + li.getAttribute('data-status'))
  }).observe(document.getElementById('running'), { childList: true, subtree: true })
`

let stack: SwitchStack
let hook: HookServer
let browser: Browser
let page: Page
let gatewayToken: string
let releaseHook: () => void = () => {}
const requests: Request[] = []

beforeAll(async () => {
  browser = await launchChromium()
  const released = new Promise<void>((resolve) => {
    releaseHook = resolve
  })
  // The pre-hook holds the switchover until the test lets it go: the page finds it running and follows it from there.
  hook = await startHookServer(async () => {
    await released
    return { status: 204 }
  })
  // The page signs in with the gateway's read-only token: everything it shows (the failover plan included) is read.
  gatewayToken = `read-${randomBytes(24).toString('hex')}`
  stack = await startSwitchStack({
    latencyMs: 30,
    gatewayEnv: { VAULT_DR_HOOK_CACERT: hook.caFile, VAULT_DR_READ_TOKEN: gatewayToken },
  })
  page = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage()
  page.on('request', (request) => requests.push(request))
  await page.goto(`${stack.gateway.url}/ui`)
  await page.fill('#token', gatewayToken)
  await page.click('#login button[type=submit]')
  await page.waitForSelector('[data-pair="dc2"][data-health="ok"]', { timeout: 20_000 })
}, 120_000)

afterAll(async () => {
  releaseHook()
  await browser?.close()
  await stack?.close()
  await hook?.close()
  expectNoSecretsInLogs([...(stack?.secrets ?? []), gatewayToken])
})

describe('the status page follows role changes, in headless Chromium', () => {
  it('lists the handshake in the history, then follows a switchover step by step from its event stream', async () => {
    await page.waitForSelector('#history tr[data-kind="handshake"][data-state="succeeded"]')
    await page.evaluate(RECORD_STEPS)

    const res = await stack.api.POST('/v1/switchovers', {
      body: { to: 'dc2', pre_hook_url: `${hook.url}/pre` } as never,
    })
    expect(res.response.status, JSON.stringify(res.error)).toBe(202)
    const id = res.data?.id as string
    await page.waitForSelector(
      `#running [data-operation="${id}"][data-kind="switchover"] li[data-step="pre_hook"][data-status="running"]`,
      { timeout: 20_000 },
    )
    expect(await page.textContent(`#running [data-operation="${id}"]`)).toContain('dc1 → dc2')
    releaseHook()
    const done = await waitForOperation(stack, id)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    await page.waitForSelector(`#history tr[data-operation="${id}"][data-kind="switchover"][data-state="succeeded"]`)

    // From the hook on, each step that ran was shown running, then succeeded, one after the other.
    const seen = (await page.evaluate<string[]>('window.seenSteps')).filter((s, i, all) => all[i - 1] !== s)
    const order = (entry: string) => seen.indexOf(entry)
    const ran = done.steps.slice(done.steps.findIndex((s) => s.name === 'pre_hook'))
    expect(ran.length).toBeGreaterThan(4)
    for (const step of ran.filter((s) => s.status === 'succeeded')) {
      expect(order(`${step.name}:running`), `${step.name} shown running in ${seen.join(' ')}`).toBeGreaterThanOrEqual(0)
      expect(order(`${step.name}:succeeded`)).toBeGreaterThan(order(`${step.name}:running`))
    }
    const succeeded = ran.filter((s) => s.status === 'succeeded').map((s) => s.name)
    for (let i = 1; i < succeeded.length; i++)
      expect(order(`${succeeded[i]}:running`)).toBeGreaterThan(order(`${succeeded[i - 1]}:succeeded`))

    // The stream was the operations API's, read with the token in a header.
    const streams = requests.filter((r) => r.url().endsWith(`/v1/operations/${id}/events`))
    expect(streams.length).toBeGreaterThan(0)
    for (const r of streams) expect(await r.headerValue('authorization')).toBe(`Bearer ${gatewayToken}`)

    await page.click(`#history tr[data-operation="${id}"]`)
    await page.waitForSelector('#detail-section:not([hidden]) #detail li[data-step]')
    expect(await page.textContent('#detail-title')).toBe('Switchover dc1 → dc2')
    // Its outcome as the API gives it: the write-unavailable window and the WALs lost; no handshake's token fact.
    const facts = await page.locator('#detail dl').textContent()
    expect(facts).toContain(
      `Writes refused${(done.result as { write_unavailable_ms: number }).write_unavailable_ms} ms`,
    )
    expect(facts).toContain('WALs lost0')
    expect(facts).not.toContain('Token expires')
  })

  it("shows a pair's checks with their fixes and the plan a failover would follow, as the API gives it", async () => {
    // After the switchover dc2 is the primary and dc1 its secondary.
    await page.waitForSelector('[data-pair="dc1"][data-health="ok"]', { timeout: 30_000 })
    expect(await page.textContent('[data-pair="dc1"]')).toContain('dc2 → dc1')
    await page.click('[data-pair="dc1"]')
    await page.waitForSelector('#detail [data-plan="allowed"], #detail [data-plan="refused"]', { timeout: 20_000 })
    expect(await page.textContent('#detail-title')).toBe('Pair dc2 → dc1')
    expect(await page.locator('#detail li[data-check]').count()).toBeGreaterThan(3)
    // No handshake joined this pair (a switchover reversed it): the dc1 → dc2 handshake's checks are not its own.
    expect(await page.textContent('#detail')).not.toContain('Checks of its last handshake')

    const asked = await stack.api.POST('/v1/failovers/plan', { body: { to: 'dc1' } as never })
    const plan = asked.data
    if (!plan) throw new Error(`planFailover answered ${asked.response.status}: ${JSON.stringify(asked.error)}`)
    // dc2 is up and healthy: a failover is refused, and the page says so with the API's own verdict and steps.
    expect(plan.allowed).toBe(false)
    const shown = page.locator('#detail [data-plan]')
    expect(await shown.getAttribute('data-plan')).toBe('refused')
    expect(await shown.getAttribute('data-verdict')).toBe(plan.primary_verdict)
    expect(
      await page.locator('#detail li[data-plan-step]').evaluateAll((li) => li.map((x) => x.dataset.planStep)),
    ).toEqual(plan.steps)
    const points = await page.locator('#detail li[data-vantage]').evaluateAll((li) => li.map((x) => x.dataset.vantage))
    expect(points).toEqual(plan.vantage_points.map((v) => v.point))
    const text = await shown.textContent()
    expect(text).toContain(plan.refusal?.code ?? 'a refusal')
    // The estimate moves between two asks (the WAL positions are read anew): its form is checked, not its words.
    expect(text).toMatch(/Data loss(\d+ WALs|unknown): \S/)
    const items = await page
      .locator('#detail [data-plan] li[data-check]')
      .evaluateAll((li) => li.map((x) => x.dataset.check))
    expect(items).toEqual(plan.items.map((i) => i.name))
    // The refusal's check, failed with its fix (what to do instead), as the API gives it.
    const refusal = plan.items.find((i) => i.name === 'primary_down')
    expect(refusal?.status).toBe('fail')
    const shownRefusal = page.locator('#detail [data-plan] li[data-check="primary_down"]')
    expect(await shownRefusal.getAttribute('data-status')).toBe('fail')
    expect(await shownRefusal.textContent()).toContain(`Fix: ${refusal?.fix}`)
    const plans = requests.filter((r) => r.url().endsWith('/v1/failovers/plan'))
    expect(plans.length).toBeGreaterThan(0)
    for (const r of plans) expect(r.method()).toBe('POST')

    // Readable on a phone with the plan open: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 })
    const wider = await page.evaluate<string[]>(
      "[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 390.5)" +
        ".map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))",
    )
    expect(wider, 'elements wider than a phone').toEqual([])
  })

  it('sent the token in headers only, never in a URL', () => {
    for (const r of requests) expect(r.url()).not.toContain(gatewayToken)
  })
})
