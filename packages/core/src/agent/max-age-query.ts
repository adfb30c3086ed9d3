import { digitsOnlyQuery } from '../server/digits-query.ts'

/** A status route's preValidation: max_age_ms in digits only (an empty value is not "ask Vault now"). */
export const digitsOnlyMaxAge = digitsOnlyQuery({
  max_age_ms: { digits: 5, message: 'must be a whole number of milliseconds from 0 to 60000, in digits' },
})
