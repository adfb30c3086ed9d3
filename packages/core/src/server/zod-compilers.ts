import type { FastifyServerOptions } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'

/**
 * Zod validates and serializes every route, given to Fastify as its compilers' factory: with the compilers only set
 * after construction (`setValidatorCompiler`), Fastify would still load Ajv and fast-json-stringify at every start
 * for defaults nothing uses. Fastify calls what the factories return exactly as it calls a compiler given to
 * `setValidatorCompiler`; the casts are there because the option's types describe Ajv's compilers.
 */
export const zodSchemaController: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildValidator: () => validatorCompiler as never,
    buildSerializer: () => serializerCompiler as never,
  },
}
