import pino from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { LogCapture } from '../../test/helpers/app.ts'
import { loggerOptions } from './logger.ts'
import { RequestLogger } from './request-logger.ts'

function parent(level = 'info') {
  const capture = new LogCapture()
  const log = pino(loggerOptions({ level }), capture)
  return { log, capture, child: vi.spyOn(log, 'child') }
}

describe('RequestLogger', () => {
  it('makes no child while nothing is logged at an enabled level', () => {
    const { log, capture, child } = parent('info')
    const logger = new RequestLogger(log, { reqId: 'r-1' }, {})
    logger.debug({ path: '/v1/status' }, 'request completed')
    logger.trace('hidden')
    expect(child).not.toHaveBeenCalled()
    expect(capture.lines).toEqual([])
    expect(logger.level).toBe('info')
  })

  it('writes through one child bound to the request, with redaction', () => {
    const { log, capture, child } = parent('info')
    const logger = new RequestLogger(log, { reqId: 'r-2' }, {})
    logger.info({ token: 's.secret' }, 'first')
    logger.error('second %s', 'line')
    expect(child).toHaveBeenCalledTimes(1)
    expect(capture.lines).toMatchObject([
      { reqId: 'r-2', level: 30, msg: 'first', token: '[REDACTED]' },
      { reqId: 'r-2', level: 50, msg: 'second line' },
    ])
    expect(capture.text).not.toContain('s.secret')
  })

  it('follows a route-level log level given in the child options', () => {
    const { log, capture } = parent('info')
    const logger = new RequestLogger(log, { reqId: 'r-3' }, { level: 'warn' })
    expect(logger.isLevelEnabled('info')).toBe(false)
    logger.info('hidden')
    logger.warn('shown')
    expect(capture.lines.map((l) => l.msg)).toEqual(['shown'])
    expect(logger.level).toBe('warn')
  })

  it('hands out real children of its own', () => {
    const { log, capture } = parent('info')
    new RequestLogger(log, { reqId: 'r-4' }, {}).child({ step: 'verify' }).info('nested')
    expect(capture.lines).toMatchObject([{ reqId: 'r-4', step: 'verify', msg: 'nested' }])
  })
})
