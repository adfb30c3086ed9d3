import { describe, expect, it } from 'vitest'
import { HookUrl } from './hook-url.ts'

describe('hook URLs', () => {
  it('are https only, without credentials, query or fragment', () => {
    expect(HookUrl.safeParse('https://hooks.example/pre').success).toBe(true)
    expect(HookUrl.safeParse('http://hooks.example/pre').success).toBe(false)
    expect(HookUrl.safeParse('https://user:pw@hooks.example/pre').error?.issues[0]?.message).toContain('credentials')
    for (const keyed of ['https://hooks.example/pre?code=S3cret', 'https://hooks.example/pre#S3cret']) {
      expect(HookUrl.safeParse(keyed).error?.issues[0]?.message).toContain('must not have a query or fragment')
    }
  })
})
