import { readFileSync } from 'node:fs'
import { z } from 'zod'

export interface HookSettings {
  /** PEM of the CAs that sign the hooks' certificates, instead of the system roots; undefined: the system roots. */
  caPem: string | undefined
  timeoutMs: number
}

const Env = z.object({
  VAULT_DR_HOOK_CACERT: z.string().min(1).optional(),
  VAULT_DR_HOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
})

/**
 * The hooks' settings from the environment:
 * - VAULT_DR_HOOK_CACERT: a PEM file of the CA(s) that sign the hooks' HTTPS certificates (default: system roots);
 * - VAULT_DR_HOOK_TIMEOUT_MS: how long a hook may take to answer (default 10000, 100 to 300000).
 */
export function loadHookSettings(env: Record<string, string | undefined> = process.env): HookSettings {
  const parsed = Env.safeParse(env)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${String(issue?.path[0] ?? 'VAULT_DR_HOOK_*')}: ${issue?.message ?? 'invalid'}`)
  }
  const path = parsed.data.VAULT_DR_HOOK_CACERT
  let caPem: string | undefined
  if (path !== undefined) {
    try {
      caPem = readFileSync(path, 'utf8')
    } catch (err) {
      throw new Error(`VAULT_DR_HOOK_CACERT: cannot read ${path}: ${(err as Error).message}`)
    }
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new Error(`VAULT_DR_HOOK_CACERT: ${path} holds no PEM certificate`)
    }
  }
  return { caPem, timeoutMs: parsed.data.VAULT_DR_HOOK_TIMEOUT_MS }
}
