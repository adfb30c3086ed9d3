import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../../test/helpers/app.ts'
import type { App } from './create-server.ts'

let app: App
let port: number
beforeAll(async () => {
  ;({ app } = await buildTestApp())
  await app.listen({ host: '127.0.0.1', port: 0 })
  port = (app.server.address() as { port: number }).port
})
afterAll(() => app.close())

/** Sends `raw` as is on a fresh connection and answers everything the server wrote before it closed. */
function exchange(raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(raw))
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk) => {
      answer += chunk
    })
    socket.on('close', () => resolve(answer))
    socket.on('error', reject)
  })
}

const parse = (answer: string) => {
  const [head = '', body = ''] = answer.split('\r\n\r\n')
  return { status: Number(head.split(' ')[1]), head: head.toLowerCase(), problem: JSON.parse(body) }
}

describe('requests the HTTP parser refuses before any route', () => {
  it.each([
    ['a malformed header line', 'GET /healthz HTTP/1.1\r\nHost: a\r\nnot a header\r\n\r\n'],
    ['a Content-Length that is not a number', 'POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: ten\r\n\r\n'],
    ['two Content-Lengths', 'POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    ['an unknown method', 'FOO /healthz HTTP/1.1\r\nHost: a\r\n\r\n'],
  ])('answer %s with 400 problem+json', async (_what, raw) => {
    const { status, head, problem } = parse(await exchange(raw))
    expect(status).toBe(400)
    expect(head).toContain('content-type: application/problem+json')
    expect(problem).toMatchObject({ status: 400, code: 'CORE_ERR_BAD_REQUEST' })
    expect(problem.detail).toContain('HTTP/1.1')
  })

  it('answers headers over 16 KB with 431 problem+json and its fix, echoing none of them', async () => {
    const secret = `s.${'x'.repeat(20_000)}`
    const { status, head, problem } = parse(await exchange(`GET /healthz?t=${secret} HTTP/1.1\r\nHost: a\r\n\r\n`))
    expect(status).toBe(431)
    expect(head).toContain('content-type: application/problem+json')
    expect(problem).toMatchObject({ status: 431, code: 'CORE_ERR_HEADERS_TOO_LARGE' })
    expect(problem.fix).toContain('16 KB')
    expect(JSON.stringify(problem)).not.toContain('xxxxxxxx')
  })
})
