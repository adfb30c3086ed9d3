import type { z } from 'zod'

/** A JSON record kept in the store's meta, checked against its schema: undefined when absent, empty or unreadable. */
export function parseMetaRecord<S extends z.ZodType>(schema: S, raw: string | undefined): z.infer<S> | undefined {
  if (raw === undefined || raw === '') return undefined
  try {
    const parsed = schema.safeParse(JSON.parse(raw))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}
