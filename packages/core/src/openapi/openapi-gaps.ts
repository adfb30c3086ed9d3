import { PROBLEM_CONTENT_TYPE } from '../problem.ts'

const PROBLEM_REF = '#/components/schemas/Problem'
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']

interface Operation {
  operationId?: string
  requestBody?: unknown
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>
}

/**
 * What an OpenAPI document of ours misses, one line each (empty when nothing): every operation has an operationId;
 * every Problem answer is documented as application/problem+json, the type it is sent with; every /v1 operation
 * documents 400, 401 and 500, 413 and 415 when it takes a body, and the statuses in alsoEverywhere.
 */
export function openApiGaps(
  doc: { paths?: Record<string, unknown> },
  opts: { alsoEverywhere?: string[] } = {},
): string[] {
  const gaps: string[] = []
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, value] of Object.entries(item as Record<string, unknown>)) {
      if (!METHODS.includes(method)) continue
      const op = value as Operation
      const name = `${method.toUpperCase()} ${path}`
      if (!op.operationId) gaps.push(`${name}: no operationId`)
      const responses = op.responses ?? {}
      for (const [status, response] of Object.entries(responses)) {
        const content = response.content ?? {}
        const problemTypes = Object.keys(content).filter((type) => content[type]?.schema?.$ref === PROBLEM_REF)
        if (problemTypes.some((type) => type !== PROBLEM_CONTENT_TYPE)) {
          gaps.push(`${name}: ${status} documents Problem as ${problemTypes.join(', ')}, not ${PROBLEM_CONTENT_TYPE}`)
        }
        if (Number(status) >= 400 && problemTypes.length === 0 && path.startsWith('/v1/')) {
          gaps.push(`${name}: ${status} is not a Problem`)
        }
      }
      if (!path.startsWith('/v1/')) continue
      const expected = [
        '400',
        '401',
        '500',
        ...(op.requestBody === undefined ? [] : ['413', '415']),
        ...(opts.alsoEverywhere ?? []),
      ]
      for (const status of expected) {
        if (!(status in responses)) gaps.push(`${name}: ${status} is not documented`)
      }
    }
  }
  return gaps
}
