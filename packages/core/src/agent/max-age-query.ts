import type { FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { CoreErrors } from '../core-errors.ts'
import { invalidFields } from '../server/error-handler.ts'

const MAX_AGE_MESSAGE = 'must be a whole number of milliseconds from 0 to 60000, in digits'

/**
 * A status route's preValidation: max_age_ms in digits only. StatusQuery's number coercion alone would read an empty
 * value as 0 (ask Vault now) and take `1e3` or `0x10` for numbers.
 */
export function digitsOnlyMaxAge(request: FastifyRequest, _reply: unknown, done: HookHandlerDoneFunction): void {
  const raw = (request.query as Record<string, unknown>).max_age_ms
  if (raw === undefined || (typeof raw === 'string' && /^\d{1,5}$/.test(raw))) {
    done()
    return
  }
  done(
    CoreErrors.validation(`Invalid querystring/max_age_ms: ${MAX_AGE_MESSAGE}`, {
      cause: invalidFields({ path: 'querystring/max_age_ms', message: MAX_AGE_MESSAGE }),
    }),
  )
}
