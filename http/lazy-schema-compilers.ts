import type { FastifyServerOptions } from 'fastify'
import type AjvCompiler from '@fastify/ajv-compiler'
import type SerializerSelector from '@fastify/fast-json-stringify-compiler'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

type Validate = ((data: unknown) => unknown) & { errors?: unknown }
type RouteSchema = { schema: unknown, method: string, url: string, httpPart?: string, httpStatus?: string }
type Compiler<F> = (route: RouteSchema) => F
type Builder<F> = (externalSchemas: unknown, options: unknown) => Compiler<F>
type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>

/**
 * Fastify loads Ajv (with its formats, about 90 modules) and fast-json-stringify's compiler
 * for every app it makes, and compiles each route's schema as the app gets ready. Given as
 * `schemaController.compilersFactory`, these builders load them at the first request a schema
 * has to check instead: the public app declares no schema, the admin listener's few (its POST
 * bodies, its query strings) are checked exactly as before, by the same compilers with the
 * same options, once such a request comes.
 */
export const lazySchemaCompilers = {
  buildValidator: ((externalSchemas, options) => {
    let compiler: Compiler<Validate> | undefined
    return route => {
      let validate: Validate | undefined
      const lazily: Validate = data => {
        compiler ??= (require('@fastify/ajv-compiler') as typeof AjvCompiler as () => Builder<Validate>)()(externalSchemas, options)
        validate ??= compiler(route)
        const valid = validate(data)
        // Fastify reads a failed validation's reasons from the function it called.
        lazily.errors = validate.errors
        return valid
      }
      return lazily
    }
  }) satisfies Builder<Validate>,
  buildSerializer: ((externalSchemas, options) =>
    (require('@fastify/fast-json-stringify-compiler') as typeof SerializerSelector as () => Builder<(data: unknown) => string>)()(externalSchemas, options)
  ) satisfies Builder<(data: unknown) => string>
} as unknown as CompilersFactory
