import type { FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { CoreErrors } from '../core-errors.ts'
import { invalidFields } from './error-handler.ts'

/** A whole-number query parameter: at most `digits` digits, and what the caller is told otherwise. */
export interface DigitsField {
  digits: number
  message: string
}

/**
 * A route's preValidation: the named whole-number query parameters in plain digits only, before the schema's number
 * coercion, which alone would read an empty value as 0 and take `1e3` or `0x10` for numbers. The range stays the
 * schema's to check.
 */
export function digitsOnlyQuery(fields: Record<string, DigitsField>) {
  const patterns = Object.entries(fields).map(([name, f]) => [name, new RegExp(`^\\d{1,${f.digits}}$`), f] as const)
  return (request: FastifyRequest, _reply: unknown, done: HookHandlerDoneFunction): void => {
    const query = request.query as Record<string, unknown>
    for (const [name, pattern, field] of patterns) {
      const raw = query[name]
      if (raw === undefined || (typeof raw === 'string' && pattern.test(raw))) continue
      const path = `querystring/${name}`
      done(
        CoreErrors.validation(`Invalid ${path}: ${field.message}`, {
          cause: invalidFields({ path, message: field.message }),
        }),
      )
      return
    }
    done()
  }
}
