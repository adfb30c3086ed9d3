import { createHash } from 'node:crypto'
import { canonicalJson } from '../operations/canonical-json.ts'

/** The hash an Idempotency-Key is bound to: the same key with another body is refused. */
export function bodyHash(kind: string, body: object): string {
  return createHash('sha256')
    .update(`${kind}\n${canonicalJson(body)}`)
    .digest('hex')
}
