import { readFile } from 'node:fs/promises'
import type { Browser, BrowserContext, Page, Request } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type E2EStack, startE2EStack } from '../helpers/e2e-stack.ts'
import { createHandshake, waitForHandshake } from '../helpers/handshakes.ts'
import { launchChromium } from '../helpers/headless-chromium.ts'
import { expectNoSecretsInLogs } from '../helpers/log-search.ts'

const STEPS = ['preflight', 'enable_primary', 'mint_token', 'inspect_token', 'activate_secondary', 'verify']
const ENABLE_PRIMARY_PATH = '/v1/sys/replication/dr/primary/enable'
/** Where the README's screenshot is written when asked (STATUS_PAGE_SCREENSHOT=<file>); else nowhere. */
const SCREENSHOT = process.env.STATUS_PAGE_SCREENSHOT

/**
 * Run in the page: keeps every rendering of a step in window.seenSteps, in order. Each render adds new nodes, so the
 * mutation records keep the states in between even when several events arrive in one chunk.
 */
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

let stack: E2EStack
let browser: Browser
let context: BrowserContext
let page: Page
let gatewayToken: string
const requests: Request[] = []

beforeAll(async () => {
  browser = await launchChromium()
  stack = await startE2EStack({ vaultGates: true })
  gatewayToken = (await readFile(stack.gatewayTokenFile, 'utf8')).trim()
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
  page = await context.newPage()
  page.on('request', (request) => requests.push(request))
})

afterAll(async () => {
  await browser?.close()
  await stack?.close()
  expectNoSecretsInLogs(stack?.secrets ?? [])
})

const signIn = async (token: string) => {
  await page.fill('#token', token)
  await page.click('#login button[type=submit]')
}

describe('the status page at /ui, in headless Chromium', () => {
  it('loads without a token, in under 200 KB, and refuses a wrong token', async () => {
    const answer = await page.goto(`${stack.gateway.url}/ui`)
    expect(answer?.status()).toBe(200)
    expect(answer?.headers()['content-security-policy']).toContain("default-src 'none'")
    await page.waitForSelector('#login:not([hidden])')
    let bytes = 0
    for (const request of requests) {
      const sizes = await request.sizes()
      bytes += sizes.responseBodySize + sizes.responseHeadersSize
    }
    expect(requests.map((r) => new URL(r.url()).pathname).sort()).toEqual([
      '/ui',
      '/ui/status-page.css',
      '/ui/status-page.js',
    ])
    console.info(`status page first load: ${(bytes / 1024).toFixed(1)} KB over ${requests.length} requests`)
    expect(bytes).toBeLessThan(200 * 1024)

    await signIn(`${gatewayToken}-wrong`)
    await expect.poll(() => page.textContent('#login-error')).toBe('The gateway refused this token.')
    expect(await page.isHidden('#board')).toBe(true)
    expect(await page.evaluate<number>('sessionStorage.length + localStorage.length')).toBe(0)
    expect(await page.isVisible('#login')).toBe(true)
  })

  it('follows a running handshake step by step from its event stream', async () => {
    await signIn(gatewayToken)
    await page.waitForSelector('#board:not([hidden])')
    expect(await page.isHidden('#login')).toBe(true)
    await page.waitForSelector('[data-cluster="dc1"]')
    expect(await page.textContent('#pairs')).toContain('No pair yet')
    await page.evaluate(RECORD_STEPS)

    // The primary's enable waits at its gate, so the page finds the handshake running and follows it from there.
    stack.vaultGates?.primary.hold((path) => path === ENABLE_PRIMARY_PATH)
    const { id } = await createHandshake(stack)
    await stack.vaultGates?.primary.waiting()
    await page.waitForSelector(
      `#running [data-operation="${id}"][data-kind="handshake"] li[data-step="enable_primary"][data-status="running"]`,
    )
    stack.vaultGates?.primary.release()
    expect((await waitForHandshake(stack, id)).state).toBe('succeeded')
    await page.waitForSelector(`#history tr[data-operation="${id}"][data-kind="handshake"][data-state="succeeded"]`)

    const seen = (await page.evaluate<string[]>('window.seenSteps')).filter((s, i, all) => all[i - 1] !== s)
    // From enable_primary on, each step was shown running and then succeeded, one after the other.
    const order = (entry: string) => seen.indexOf(entry)
    for (const step of STEPS.slice(1)) {
      expect(order(`${step}:running`), `${step} shown running in ${seen.join(' ')}`).toBeGreaterThanOrEqual(0)
      expect(order(`${step}:succeeded`)).toBeGreaterThan(order(`${step}:running`))
    }
    for (let i = 2; i < STEPS.length; i++)
      expect(order(`${STEPS[i]}:running`)).toBeGreaterThan(order(`${STEPS[i - 1]}:succeeded`))

    // The operations API's stream (handshakes are operations too), read with the token in a header.
    const events = requests.filter((r) => r.url().endsWith(`/v1/operations/${id}/events`))
    expect(events.length).toBeGreaterThan(0)
    for (const r of events) expect(await r.headerValue('authorization')).toBe(`Bearer ${gatewayToken}`)
  })

  it("shows the demo's pair and both clusters healthy after the handshake", async () => {
    await page.waitForSelector('[data-pair="dc2"][data-health="ok"]')
    await page.waitForSelector('[data-cluster="dc1"][data-health="ok"]')
    await page.waitForSelector('[data-cluster="dc2"][data-health="ok"]')
    expect(await page.textContent('[data-pair="dc2"]')).toContain('dc1 → dc2')
    await page.click('[data-cluster="dc2"]')
    await page.waitForSelector('#detail dl dt')
    expect(await page.textContent('#detail-title')).toBe('Cluster dc2')
    expect(await page.textContent('#detail')).toContain('stream-wals')
    expect(await page.textContent('body')).not.toContain('[object')
    await page.click('[data-pair="dc2"]')
    await page.waitForSelector('#detail-section:not([hidden]) li[data-check]')
    if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT, fullPage: true })

    // Readable on a phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 })
    const wider = await page.evaluate<string[]>(
      "[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 390.5)" +
        ".map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))",
    )
    expect(wider, 'elements wider than a phone').toEqual([])
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
    await page.setViewportSize({ width: 1100, height: 900 })
  })

  it('leaves what it shows alone while a refresh finds nothing new: a text selection in the history survives', async () => {
    const row = '#history tr[data-kind="handshake"][data-state="succeeded"]'
    await page.waitForSelector(row)
    // A mark the HTML does not carry, and the row's text selected as an operator would to copy it.
    await page.evaluate(`(() => {
      const tr = document.querySelector('${row}')
      tr.kept = true
      const range = document.createRange()
      range.selectNodeContents(tr)
      getSelection().removeAllRanges()
      getSelection().addRange(range)
    })()`)
    const reads = () => requests.filter((r) => r.url().endsWith('/v1/operations?limit=100')).length
    const before = reads()
    await expect.poll(reads, { timeout: 15_000 }).toBeGreaterThanOrEqual(before + 2)
    expect(await page.evaluate<boolean>(`document.querySelector('${row}').kept === true`)).toBe(true)
    expect(await page.evaluate<string>('getSelection().toString()')).toContain('handshake')
  })

  it("turns red when the secondary's connection to the primary is cut, and green again once it is back", async () => {
    await stack.primary.faults.closeClusterListener()
    await page.waitForSelector('[data-pair="dc2"][data-health="bad"]', { timeout: 20_000 })
    await page.waitForSelector('[data-cluster="dc2"][data-health="bad"]')
    expect(await page.textContent('[data-pair="dc2"]')).toContain('Connection to the primary')

    await stack.primary.faults.reopenClusterListener()
    await page.waitForSelector('[data-pair="dc2"][data-health="ok"]', { timeout: 20_000 })
  })

  it('kept the token in the tab only: never in a URL, a cookie or localStorage', async () => {
    expect(requests.length).toBeGreaterThan(3)
    for (const r of requests) expect(r.url()).not.toContain(gatewayToken)
    expect(await context.cookies()).toEqual([])
    expect(await page.evaluate<number>('localStorage.length')).toBe(0)
    expect(await page.evaluate<string[]>('Object.keys(sessionStorage)')).toEqual(['vault-dr.gateway-token'])
    await page.click('#forget')
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0)
    expect(await page.isVisible('#login')).toBe(true)
    expect(await page.isHidden('#board')).toBe(true)
  })
})
