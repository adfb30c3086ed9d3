import { defineError } from '@vault-dr/core'

/** How a pre- or post-hook call can fail (a pre-hook's failure stops the operation before it changes anything). */
export const HookErrors = {
  refused: defineError({
    code: 'GATEWAY_ERR_HOOK_REFUSED',
    status: 502,
    title: 'The hook answered with a status other than 2xx',
    fix: 'The hook said no (or failed): read what it answered and its own log; start the operation again once it agrees.',
  }),
  unreachable: defineError({
    code: 'GATEWAY_ERR_HOOK_UNREACHABLE',
    status: 502,
    title: 'The hook could not be called',
    fix: 'Check the hook URL resolves and listens over HTTPS from the gateway, and that its certificate is signed by a CA the gateway trusts (the system roots, or VAULT_DR_HOOK_CACERT).',
  }),
  timeout: defineError({
    code: 'GATEWAY_ERR_HOOK_TIMEOUT',
    status: 504,
    title: 'The hook did not answer in time',
    fix: 'Make the hook answer within VAULT_DR_HOOK_TIMEOUT_MS (do slow work after answering), or raise that setting.',
  }),
} as const
