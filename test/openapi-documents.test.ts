import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import SwaggerParser from '@apidevtools/swagger-parser'
import openapiTS, { astToString } from 'openapi-typescript'
import { describe, expect, it, onTestFinished } from 'vitest'
import { repoRoot, serviceOpenApi } from './helpers/repo-paths.ts'

const run = promisify(execFile)
const services = ['primary-agent', 'secondary-agent', 'gateway'] as const

describe.each(services)('the OpenAPI document of %s', (service) => {
  it('validates as OpenAPI 3.1, and every operation has an operationId, a description and error responses', async () => {
    const doc = JSON.parse(await readFile(serviceOpenApi(service), 'utf8'))
    expect(doc.openapi).toBe('3.1.0')
    await SwaggerParser.validate(structuredClone(doc))
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/)
        expect(op.description, `${method} ${path} has a description`).toEqual(expect.any(String))
        if (path.startsWith('/v1')) {
          const takesInput = op.requestBody !== undefined || (op.parameters ?? []).length > 0
          const expected = takesInput ? ['400', '401'] : ['401']
          expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(expected))
        }
      }
    }
  })

  it('gives a client that type-checks in a small consumer', async () => {
    const dir = await mkdtemp(join(tmpdir(), `openapi-consumer-${service}-`))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    const types = astToString(await openapiTS(new URL(`file://${serviceOpenApi(service)}`)))
    await writeFile(join(dir, 'api.d.ts'), types)
    await writeFile(
      join(dir, 'consumer.ts'),
      [
        "import type { paths, components } from './api.d.ts'",
        "type Health = paths['/healthz']['get']['responses'][200]['content']['application/json']",
        "const health: Health = { status: 'ok', service: 's', version: '1', uptime_s: 1 }",
        "type Problem = components['schemas']['Problem']",
        "const problem: Problem = { type: 't', title: 't', status: 400, detail: 'd', code: 'C', instance: 'i' }",
        'export const used = [health, problem]',
      ].join('\n'),
    )
    const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc')
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext']
    const result = await run(process.execPath, [tsc, ...args, '--allowImportingTsExtensions', join(dir, 'consumer.ts')])
      .then(() => ({ ok: true, out: '' }))
      .catch((err: { stdout: string }) => ({ ok: false, out: err.stdout }))
    expect(result.out).toBe('')
    expect(result.ok).toBe(true)
  })
})
