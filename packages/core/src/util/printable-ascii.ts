import type { z } from 'zod'

/**
 * A value sent on as is (a token, a key): printable ASCII without spaces, so nothing that cannot go in a header or a
 * JSON string unaltered is sent, and comes back as a failure that quotes it.
 */
export const printableAscii = (value: z.ZodString) =>
  value.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
