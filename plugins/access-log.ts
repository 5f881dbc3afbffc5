import fp from 'fastify-plugin'
import { randomUUID } from 'node:crypto'
import { acceptRequestId } from '../src/identity/headers.js'
import { denials } from '../src/policy/decision-counters.js'
import { accessLogger, type Logger } from '../src/logger.js'
import type { RequestState } from './types.js'

/** Fastify's `genReqId`: keep a well-formed incoming X-Request-Id, else make one. */
export function requestId (req: { headers: Record<string, string | string[] | undefined> }): string {
  return acceptRequestId(req.headers['x-request-id']) ?? randomUUID()
}

/**
 * One access line per request, with the principals, the decision and its reason (every
 * denial is also counted); the path is logged without its query string, which can carry an API key.
 */
export default fp(async function gatehouseAccessLog (app) {
  const access = accessLogger(app.log as Logger)
  app.decorateRequest('gatehouse', null as unknown as RequestState)
  app.addHook('onRequest', async (request, reply) => {
    request.gatehouse = { identity: undefined, identityHeaders: [], error: undefined, forwardedMs: -1, upstreamMs: -1, upstreamFailed: false }
    reply.header('x-request-id', request.id)
  })
  app.addHook('onResponse', async (request, reply) => {
    const state = request.gatehouse
    const err = state.error
    const route = request.routeOptions.config.route?.match
    if (err !== undefined && err.status < 500) denials.inc({ route: route ?? '', code: err.code })
    access.info({
      reqId: request.id,
      method: request.method,
      path: request.url.split('?', 1)[0],
      route,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
      client: state.identity?.client?.id,
      user: state.identity?.user?.id,
      auth: state.identity?.authenticators.join(',') || undefined,
      decision: err === undefined ? 'allow' : err.status < 500 ? 'deny' : 'error',
      reason: err === undefined ? undefined : `${err.code}: ${err.detail}`,
      authenticator: err?.authenticator
    }, 'request')
  })
}, { fastify: '5.x', name: 'gatehouse-access-log' })
