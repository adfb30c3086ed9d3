import { writeFile } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'

/** Writes the app's OpenAPI document as stable, reviewable JSON; the app never listens. */
export async function writeOpenApi(app: FastifyInstance, file: URL): Promise<void> {
  await app.ready()
  await writeFile(file, `${JSON.stringify(app.swagger(), null, 2)}\n`)
  await app.close()
}
