import { describe, expect, it } from 'vitest'
import { VaultError } from '../vault-error.ts'
import { boolParam, listParam, parseDurationSeconds, stringParam } from './params.ts'

describe('request parameters', () => {
  it('parses Vault durations', () => {
    expect(parseDurationSeconds(1800, 'ttl')).toBe(1800)
    expect(parseDurationSeconds('300', 'ttl')).toBe(300)
    expect(parseDurationSeconds('300s', 'ttl')).toBe(300)
    expect(parseDurationSeconds('30m', 'ttl')).toBe(1800)
    expect(parseDurationSeconds('1h30m', 'ttl')).toBe(5400)
    expect(parseDurationSeconds('8h', 'ttl')).toBe(28800)
    for (const bad of ['soon', '30x', '-5', '', 'm30', null]) {
      expect(() => parseDurationSeconds(bad, 'ttl'), String(bad)).toThrow(VaultError)
    }
  })

  it('reads strings, booleans and lists leniently', () => {
    expect(stringParam({ id: 'dc2' }, 'id')).toBe('dc2')
    expect(stringParam({ id: 42 }, 'id')).toBe('42')
    expect(stringParam({}, 'id')).toBe('')
    expect(() => stringParam({ id: { nested: true } }, 'id')).toThrow(VaultError)
    expect(boolParam({ force: 'true' }, 'force')).toBe(true)
    expect(boolParam({ force: false }, 'force')).toBe(false)
    expect(listParam('a, b,,c')).toEqual(['a', 'b', 'c'])
    expect(listParam(['a', 'b'])).toEqual(['a', 'b'])
    expect(listParam(undefined)).toEqual([])
  })
})
