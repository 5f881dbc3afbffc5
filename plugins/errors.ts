import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { GatehouseError, renderChallenge, toGatehouseError, toProblem } from '../src/errors.js'
import './types.js'

export function sendProblem (request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const err = toGatehouseError(error)
  request.gatehouse.error = err
  if (err.code === 'internal_error') request.log.error({ err: error }, 'internal error')
  reply.code(err.status)
  reply.header('content-type', 'application/problem+json')
  reply.header('cache-control', 'no-store')
  if (err.challenges !== undefined && err.challenges.length > 0 && (err.status === 401 || err.status === 403)) {
    reply.header('www-authenticate', err.challenges.map(renderChallenge))
  }
  for (const [k, v] of Object.entries(err.headers ?? {})) reply.header(k, v)
  // Answered before the body was read: close, or the connection stays busy draining it.
  if (!request.raw.complete) reply.header('connection', 'close')
  return reply.send(JSON.stringify(toProblem(err, request.id)))
}

/** Every error the gateway answers is problem+json with a stable code; nothing else leaks. */
export default fp(async function gatehouseErrors (app) {
  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error))
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new GatehouseError('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`)))
}, { fastify: '5.x', name: 'gatehouse-errors' })
