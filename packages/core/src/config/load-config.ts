import { readFileSync } from 'node:fs'
import type { z } from 'zod'

export type Env = Record<string, string | undefined>

/** A configuration that cannot start the service; its message names each variable and what is wrong. */
export class ConfigError extends Error {
  readonly code = 'CORE_ERR_CONFIG'
  readonly problems: string[]

  constructor(problems: string[], options?: ErrorOptions) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, options)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

/**
 * Reads the secrets named in `secretNames` from `<NAME>_FILE` when that is set (as Docker and Kubernetes secrets
 * are mounted), so a secret never has to sit in the environment or on a command line.
 */
export function resolveFileSecrets(env: Env, secretNames: readonly string[]): { env: Env; problems: string[] } {
  const resolved: Env = { ...env }
  const problems: string[] = []
  for (const name of secretNames) {
    const file = env[`${name}_FILE`]
    if (file === undefined || file === '') continue
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name} and ${name}_FILE are both set: set only one`)
      continue
    }
    try {
      resolved[name] = readFileSync(file, 'utf8').trim()
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
    }
  }
  return { env: resolved, problems }
}

/**
 * Parses the environment through a zod schema of variables and returns it frozen.
 * @example loadEnv(z.object({ VAULT_DR_PORT: port(8410) }), process.env)
 */
export function loadEnv<S extends z.ZodType>(schema: S, env: Env, secretNames: readonly string[] = []): z.output<S> {
  const { env: resolved, problems } = resolveFileSecrets(env, secretNames)
  const parsed = schema.safeParse(withoutEmptyValues(resolved))
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.join('.') || '(environment)'}: ${issue.message}`)
    }
  }
  if (problems.length > 0 || !parsed.success) {
    throw new ConfigError(problems, parsed.success ? undefined : { cause: parsed.error })
  }
  return deepFreeze(parsed.data)
}

// An exported-but-empty variable means "not set", as in the Vault CLI.
function withoutEmptyValues(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''))
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
