import { OPTIONS } from './command-specs.ts'

/** Request fields the CLI sets from something other than the option of the same name (snake_case to kebab-case). */
const FIELD_SOURCES: Record<string, string> = {
  token_ttl: '--ttl',
  skip_checks: '--skip-check',
  name: 'the cluster name',
  agent_token: 'VAULT_DR_AGENT_TOKEN_FILE (or VAULT_DR_AGENT_TOKEN)',
}

/** What the operator typed to set a request field: its option, or what else it came from; undefined if unknown. */
export function sourceOf(field: string): string | undefined {
  const mapped = FIELD_SOURCES[field]
  if (mapped !== undefined) return mapped
  const option = field.replaceAll('_', '-')
  return option in OPTIONS ? `--${option}` : undefined
}

/**
 * The gateway names an invalid field by its place in the request (`body/hold`, `querystring/max_lag_wals`): at the
 * CLI, the option that set it (`--hold`). A field the CLI did not set from an option keeps the gateway's name.
 */
export function inCliTerms(text: string): string {
  return text
    .replace(/\bparams\/([a-z_]+)\b/g, (_found, field: string) => `the <${field}> argument`)
    .replace(/\bbody\/cluster\b/g, 'the cluster argument')
    .replace(/\b(?:body|querystring)\/([a-z_]+)(?:\/\d+)*/g, (found, field: string) => sourceOf(field) ?? found)
}
