/**
 * Drops component schemas nothing refers to. The zod bridge emits an input and an output variant of every named
 * schema (`X` and `XInput`); only the variants the routes use belong in the document clients are generated from.
 */
export function pruneUnusedSchemas(doc: Record<string, unknown>): Record<string, unknown> {
  const schemas = (doc.components as { schemas?: Record<string, unknown> } | undefined)?.schemas
  if (!schemas) return doc
  const used = new Set<string>()
  const visit = (node: unknown) => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item)
    } else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')) {
          const name = value.slice('#/components/schemas/'.length)
          if (!used.has(name)) {
            used.add(name)
            visit(schemas[name])
          }
        } else {
          visit(value)
        }
      }
    }
  }
  const components = doc.components as Record<string, unknown>
  visit({ ...doc, components: { ...components, schemas: {} } })
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)))
  return { ...doc, components: { ...components, schemas: kept } }
}
