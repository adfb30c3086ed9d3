import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH, buildTestApp } from '../../test/helpers/app.ts'
import type { App } from './create-server.ts'

describe('a body with a prototype key', () => {
  let app: App
  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    await app.ready()
  })
  afterAll(() => app.close())

  it.each([
    ['{"__proto__":{"x":1},"name":"abc","count":1}', '__proto__'],
    ['{"constructor":{"prototype":{"x":1}},"name":"abc","count":1}', 'constructor.prototype'],
  ])('%s is refused saying such a key is, not only that the JSON does not parse', async (payload, key) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload,
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('CORE_ERR_MALFORMED_BODY')
    expect(res.json().detail).toContain(key)
  })
})
