import { z } from 'zod'

/** RFC 9457 problem details, with the extension members every vault-dr error carries. */
export const Problem = z
  .object({
    type: z.string().describe('A URI naming the problem type'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable error code; branch on this, never on the text'),
    instance: z.string().describe('The request id of the failed request'),
    fix: z.string().optional().describe('What an operator can do about it'),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('Each invalid field, for validation errors'),
    upstream: z
      .object({
        service: z.string(),
        status: z.number().int().optional(),
        errors: z.array(z.string()).optional(),
        code: z.string().optional(),
      })
      .optional()
      .describe('What the upstream service (Vault, an agent) answered'),
  })
  .meta({ id: 'Problem' })

export type ProblemDetails = z.infer<typeof Problem>

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export function problemType(code: string): string {
  return `https://vault-dr.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`
}

/** How a route's schema documents a problem answer: the Problem schema under the content type it is sent with. */
export interface ProblemResponse {
  description: string
  content: { 'application/problem+json': { schema: typeof Problem } }
}

/**
 * One problem answer of a route, for its response schema: OpenAPI then says application/problem+json, as sent
 * (sendProblem serializes problems itself, so no response serializer is involved).
 *
 * @example response: { 200: Thing, 404: problemResponse('No such thing (THING_ERR_NOT_FOUND)'), ...problemResponses }
 */
export function problemResponse(description: string): ProblemResponse {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: Problem } } }
}

/** Standard error responses to spread into every route's response schema. */
export const problemResponses = {
  400: problemResponse(
    'The request is not valid: CORE_ERR_VALIDATION names each field, other codes what else is wrong',
  ),
  401: problemResponse('Missing or wrong API token (CORE_ERR_UNAUTHORIZED)'),
  500: problemResponse('A bug in vault-dr (CORE_ERR_INTERNAL): report it with the request id in instance'),
} as const

/** The answers to a body that cannot be read, to spread into the response schema of every route that takes one. */
export const bodyProblemResponses = {
  413: problemResponse('The body is larger than VAULT_DR_BODY_LIMIT (CORE_ERR_BODY_TOO_LARGE)'),
  415: problemResponse('The body is not application/json (CORE_ERR_UNSUPPORTED_MEDIA_TYPE)'),
} as const

/** What an agent answers when its Vault fails, refuses or does not answer (VAULT_ERR_*, with Vault's own answer). */
export const vaultProblemResponses = {
  502: problemResponse('Vault failed, refused the call or could not be reached or trusted (VAULT_ERR_*)'),
  503: problemResponse('Vault is sealed or not ready for the call (VAULT_ERR_SEALED, VAULT_ERR_NOT_READY)'),
  504: problemResponse('Vault did not answer in time (VAULT_ERR_TIMEOUT)'),
} as const
