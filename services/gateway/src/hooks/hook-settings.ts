export interface HookSettings {
  /** PEM of the CAs that sign the hooks' certificates, instead of the system roots; undefined: the system roots. */
  caPem: string | undefined
  timeoutMs: number
}

/** VAULT_DR_HOOK_CACERT and VAULT_DR_HOOK_TIMEOUT_MS unset. */
export const DEFAULT_HOOK_SETTINGS: HookSettings = { caPem: undefined, timeoutMs: 10_000 }
