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

/** Standard error responses to spread into a route's response schema. */
export const problemResponses = {
  400: Problem,
  401: Problem,
  500: Problem,
} as const
