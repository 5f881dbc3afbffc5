import { createRequire } from 'node:module'
import type * as Http from 'node:http'

/**
 * `node:http` through `require`. An ESM `import` of it makes Node build the module's ESM
 * facade, which reads every export, `WebSocket` among them, and so loads Node's own fetch and
 * WebSocket implementation (its internal undici: about 11 ms of a start, bench/RESULTS.md)
 * that the gateway never uses. Type-only imports of `node:http` cost nothing and stay as they are.
 */
export const http = createRequire(import.meta.url)('node:http') as typeof Http
