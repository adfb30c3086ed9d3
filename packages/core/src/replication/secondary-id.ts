import { z } from 'zod'

/** A DR secondary id: it becomes part of Vault requests and status, so only a plain identifier is allowed. */
export const SecondaryId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/,
    'must be 1-63 letters, digits, "-" or "_", starting with a letter or digit',
  )
  .meta({ example: 'dc2' })
