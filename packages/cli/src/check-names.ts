import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

type Schema = { $ref?: string; enum?: string[]; items?: Schema; properties?: Record<string, Schema> }
interface OpenApi {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>
  components: { schemas: Record<string, Schema> }
}

let names: readonly string[] | undefined

/**
 * The preflight checks `--skip-check` takes, as the gateway's committed OpenAPI document lists them (the enum of
 * skip_checks in runPreflight's body), so the CLI's list cannot drift from the gateway's.
 */
export function checkNames(): readonly string[] {
  if (names !== undefined) return names
  const path = createRequire(import.meta.url).resolve('@vault-dr/gateway/openapi.json')
  const spec = JSON.parse(readFileSync(path, 'utf8')) as OpenApi
  const deref = (s: Schema | undefined): Schema | undefined =>
    s?.$ref === undefined ? s : spec.components.schemas[s.$ref.replace('#/components/schemas/', '')]
  const body = deref(spec.paths['/v1/preflight']?.post?.requestBody?.content['application/json']?.schema)
  names = deref(deref(body?.properties?.skip_checks)?.items)?.enum ?? []
  return names
}
