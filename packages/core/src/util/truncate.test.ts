import { describe, expect, it } from 'vitest'
import { truncate } from './truncate.ts'

describe('truncate', () => {
  it('leaves text within the bound as it is', () => {
    expect(truncate('abc', 3)).toBe('abc')
    expect(truncate('', 0)).toBe('')
  })

  it('cuts longer text and says how much was cut', () => {
    expect(truncate('a'.repeat(10_000), 8)).toBe('aaaaaaaa…[9992 more characters]')
  })

  it('never keeps half of a surrogate pair', () => {
    const cut = truncate('ab😀cd', 3)
    expect(cut).toBe('ab…[4 more characters]')
    expect(cut.isWellFormed()).toBe(true)
  })
})
