import { execFileSync } from 'node:child_process'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { API_TOKEN, buildTestApp, LogCapture } from '../../test/helpers/app.ts'
import type { App } from './create-server.ts'
import { loggerOptions } from './logger.ts'

const SECRETS = ['s.secret1', 'secret2', 'secret3', API_TOKEN, 'hvs.vault-header-token', 'session=cookie-secret']

let app: App | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

describe('log redaction in the server', () => {
  it.each(['trace', 'info'])('keeps secrets out of the log at level %s', async (level) => {
    const built = await buildTestApp({ logLevel: level })
    app = built.app
    const { logs } = built

    app.log.info({ token: 's.secret1', nested: { agent_token: 'secret2', deeper: { token: 'secret3' } } }, 'configured')
    const res = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: {
        authorization: `Bearer ${API_TOKEN}`,
        'x-vault-token': 'hvs.vault-header-token',
        cookie: 'session=cookie-secret',
      },
      payload: { name: 'abc', count: 1 },
    })
    expect(res.statusCode).toBe(201)

    for (const secret of SECRETS) expect(logs.text).not.toContain(secret)
    expect(logs.text).toContain('[REDACTED]')

    const configured = logs.lines.find((l) => l.msg === 'configured')
    expect(configured).toMatchObject({
      token: '[REDACTED]',
      nested: { agent_token: '[REDACTED]', deeper: { token: '[REDACTED]' } },
    })
    // A request that went well is logged, by id, at debug (polling monitors would drown the log at info).
    const requestLines = logs.lines.filter((l) => l.reqId === res.headers['x-request-id'])
    expect(requestLines.map((l) => l.msg)).toEqual(level === 'trace' ? ['request completed'] : [])
  })

  it('logs nothing below the chosen level', async () => {
    const built = await buildTestApp({ logLevel: 'warn' })
    app = built.app
    app.log.info('hidden')
    app.log.warn('shown')
    await app.inject({ method: 'GET', url: '/healthz' })
    expect(built.logs.lines.map((l) => l.msg)).toEqual(['shown'])
  })
})

describe('loggerOptions', () => {
  function logger() {
    const capture = new LogCapture()
    const { stream, ...options } = loggerOptions({ level: 'info', stream: capture })
    return { log: pino(options, stream), capture }
  }

  it('blanks credential headers of a logged request and response', () => {
    const { log, capture } = logger()
    log.info({
      req: {
        method: 'GET',
        headers: { authorization: 'Bearer abc123', 'x-vault-token': 'hvs.xyz789', cookie: 'c=1', accept: 'json' },
      },
      res: { headers: { 'set-cookie': 'sid=topsecret', 'content-type': 'application/json' } },
    })
    const [line] = capture.lines
    expect(line).toMatchObject({
      req: {
        method: 'GET',
        headers: { authorization: '[REDACTED]', 'x-vault-token': '[REDACTED]', cookie: '[REDACTED]', accept: 'json' },
      },
      res: { headers: { 'set-cookie': '[REDACTED]', 'content-type': 'application/json' } },
    })
    for (const secret of ['abc123', 'hvs.xyz789', 'topsecret']) expect(capture.text).not.toContain(secret)
  })

  it('blanks token and key fields up to four levels deep and keeps the rest', () => {
    const { log, capture } = logger()
    log.info({
      client_token: 'ct-1',
      key: 'k-1',
      a: { dr_operation_token: 'dot-2', password: 'pw-2', client_key: 'ck-2', cluster: 'east' },
      b: { c: { api_token: 'at-3', secret: 'sec-3' } },
      d: { e: { f: { private_key: 'pk-4' } } },
    })
    const [line] = capture.lines
    expect(line).toMatchObject({
      client_token: '[REDACTED]',
      key: '[REDACTED]',
      a: { dr_operation_token: '[REDACTED]', password: '[REDACTED]', client_key: '[REDACTED]', cluster: 'east' },
      b: { c: { api_token: '[REDACTED]', secret: '[REDACTED]' } },
      d: { e: { f: { private_key: '[REDACTED]' } } },
    })
    for (const secret of ['ct-1', 'k-1', 'dot-2', 'pw-2', 'ck-2', 'at-3', 'sec-3', 'pk-4']) {
      expect(capture.text).not.toContain(secret)
    }
  })
})

describe('the default destination (stdout)', () => {
  it('has every line out by the time the process exits, even one logged just before exit()', () => {
    const script = `
      import pino from 'pino'
      import { loggerOptions } from ${JSON.stringify(new URL('./logger.ts', import.meta.url).pathname)}
      const { stream, ...options } = loggerOptions({ level: 'info' })
      const log = pino(options, stream)
      for (let i = 0; i < 2000; i++) log.info({ i }, 'line')
      log.warn('last words')
      process.exit(0)
    `
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('.', import.meta.url).pathname,
      encoding: 'utf8',
    })
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string })
    expect(lines).toHaveLength(2001)
    expect(lines.at(-1)?.msg).toBe('last words')
  })
})
