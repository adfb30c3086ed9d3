import { describe, expect, it } from 'vitest'
import { CoreErrors } from './core-errors.ts'
import { CodedError, defineError, isCodedError } from './errors.ts'
import { problemType } from './problem.ts'

describe('defineError', () => {
  const Boom = defineError({ code: 'TEST_ERR_BOOM', status: 409, title: 'Boom', fix: 'Stop it.' })

  it('makes coded errors that carry the catalogue entry', () => {
    const cause = new Error('underneath')
    const err = Boom('It went boom.', { cause, upstream: { service: 'vault', status: 500 } })
    expect(err).toBeInstanceOf(CodedError)
    expect(err).toBeInstanceOf(Error)
    expect(err).toMatchObject({
      name: 'CodedError',
      code: 'TEST_ERR_BOOM',
      statusCode: 409,
      title: 'Boom',
      message: 'It went boom.',
      fix: 'Stop it.',
      upstream: { service: 'vault', status: 500 },
    })
    expect(err.cause).toBe(cause)
    expect(Boom.code).toBe('TEST_ERR_BOOM')
    expect(Boom.status).toBe(409)
  })

  it('lets one error say a more precise fix than the catalogue', () => {
    expect(Boom('x', { fix: 'Restart node 2.' }).fix).toBe('Restart node 2.')
    expect(defineError({ code: 'TEST_ERR_NOFIX', status: 400, title: 't' })('x').fix).toBeUndefined()
  })

  it('leaves cause unset when none is given', () => {
    expect('cause' in Boom('x')).toBe(false)
  })
})

describe('isCodedError', () => {
  it('tells coded errors apart, optionally by code', () => {
    const err = CoreErrors.conflict('busy')
    expect(isCodedError(err)).toBe(true)
    expect(isCodedError(err, 'CORE_ERR_CONFLICT')).toBe(true)
    expect(isCodedError(err, 'CORE_ERR_NOT_FOUND')).toBe(false)
    expect(isCodedError(new Error('plain'))).toBe(false)
    expect(isCodedError({ code: 'CORE_ERR_CONFLICT' })).toBe(false)
  })
})

describe('the core catalogue', () => {
  it('has unique codes with error statuses', () => {
    const entries = Object.values(CoreErrors)
    expect(new Set(entries.map((e) => e.code)).size).toBe(entries.length)
    for (const entry of entries) {
      expect(entry.code).toMatch(/^CORE_ERR_[A-Z_]+$/)
      expect(entry.status).toBeGreaterThanOrEqual(400)
      expect(entry.status).toBeLessThan(600)
    }
  })

  it('names problem types after the code', () => {
    expect(problemType('CORE_ERR_BODY_TOO_LARGE')).toBe('https://vault-dr.dev/problems/core-err-body-too-large')
  })
})
