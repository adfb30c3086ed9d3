import { z } from 'zod'

/**
 * A hook's address: HTTPS only, with no credentials, query or fragment in it (the operation's subject, which holds the
 * URL, is stored and answered in clear: a `?code=` a hook takes as its key would be too). The gateway sends no secret
 * to a hook.
 */
export const HookUrl = z
  .url({ protocol: /^https$/, error: 'must be an https URL such as https://hooks.example/vault-dr/pre' })
  .max(2048)
  .refine((value) => {
    // zod runs refinements after a failed check too: the URL check has already said what is wrong.
    if (!URL.canParse(value)) return true
    const url = new URL(value)
    return url.username === '' && url.password === ''
  }, 'must not carry credentials (user:password@): the URL is stored and shown in clear')
  .refine(
    (value) => !URL.canParse(value) || (!value.includes('?') && !value.includes('#')),
    'must not have a query or fragment (a key such as ?code=...): the URL is stored and shown in clear',
  )

export const PRE_HOOK_DESCRIPTION =
  'An https URL without credentials, query or fragment (stored and shown in clear). ' +
  'Called (HTTPS POST, JSON {operation_id, kind, step, phase: "pre", clusters, from, to}) after the checks and before ' +
  'anything changes; any answer but 2xx, or none within VAULT_DR_HOOK_TIMEOUT_MS (default 10 s), stops the operation ' +
  'with nothing changed. Trusted CAs: the system roots, or the PEM file at VAULT_DR_HOOK_CACERT.'

export const POST_HOOK_DESCRIPTION =
  'An https URL without credentials, query or fragment (stored and shown in clear). ' +
  'Called (HTTPS POST, JSON as the pre-hook with phase "post" and the result) once the operation has done its work; ' +
  'a failure or a timeout is a warning in the result, not a failure.'
