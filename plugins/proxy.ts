import fp from 'fastify-plugin'
import replyFrom, { type FastifyReplyFromHooks } from '@fastify/reply-from'
import { Transform, type Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { GatehouseError } from '../src/errors.js'
import type { Gateway, RuntimeRoute } from '../src/gateway.js'
import type { UpstreamConfig } from '../src/config/types.js'
import { rewriteUpstreamHeaders, withoutQueryParams } from '../src/identity/headers.js'
import { upstreamError } from '../src/proxy/upstream-error.js'
import { authHook } from './auth.js'
import { sendProblem } from './errors.js'
import './types.js'

export interface ProxyOptions {
  gateway: Gateway
  /** A route's hooks that need the identity (rate limiting and the like): they run after the auth hook. */
  routeHooks?: (route: RuntimeRoute) => Array<(request: FastifyRequest, reply: FastifyReply) => Promise<void>>
}

/** A chunked body is counted as it streams, so `bodyLimit` holds without buffering. */
function limitStream (payload: Readable, limit: number): Readable {
  let seen = 0
  const counter = new Transform({
    transform (chunk: Buffer, _enc, cb) {
      seen += chunk.length
      if (seen > limit) cb(new GatehouseError('payload_too_large', `the request body is larger than ${limit} bytes`))
      else cb(null, chunk)
    }
  })
  payload.on('error', err => counter.destroy(err))
  return payload.pipe(counter)
}

function upstreamContext (app: FastifyInstance, gateway: Gateway, upstream: UpstreamConfig, routes: RuntimeRoute[], hooks: ProxyOptions['routeHooks']): void {
  const trustProxy = gateway.config.server.trustProxy !== false
  const bodyLimit = gateway.config.server.bodyLimit
  const basePath = new URL(upstream.url).pathname.replace(/\/$/, '')
  const auth = authHook(gateway)

  app.register(async function upstreamRoutes (ctx) {
    await ctx.register(replyFrom, {
      base: upstream.origin,
      disableRequestLogging: true,
      undici: {
        connections: upstream.connections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        headersTimeout: upstream.timeoutMs,
        bodyTimeout: upstream.timeoutMs,
        connect: { rejectUnauthorized: true }
      }
    })
    // Bodies stream through untouched: nothing is parsed or buffered on the way.
    ctx.removeAllContentTypeParsers()
    ctx.addContentTypeParser('*', (request, payload, done) => {
      done(null, request.headers['content-length'] === undefined ? limitStream(payload, bodyLimit) : payload)
    })

    for (const route of routes) {
      const options: FastifyReplyFromHooks = {
        timeout: upstream.timeoutMs,
        // reply-from retries GET 503s ten times unless told otherwise (0 there means the default).
        retryDelay: () => null,
        rewriteRequestHeaders (req, headers) {
          const request = req as FastifyRequest
          const state = request.gatehouse
          return rewriteUpstreamHeaders(gateway.identity, headers as Record<string, string>, state.identityHeaders,
            route.forwardCredentials ? [] : (state.identity?.consumedHeaders ?? []),
            { ip: request.ip, proto: request.protocol, host: request.headers.host, requestId: request.id, trustProxy }) as typeof headers
        },
        queryString (_search, reqUrl, req) {
          const request = req as FastifyRequest
          const q = reqUrl.indexOf('?')
          const query = q === -1 ? '' : reqUrl.slice(q + 1)
          return route.forwardCredentials ? query : withoutQueryParams(query, request.gatehouse.identity?.consumedQuery ?? [])
        },
        onError (reply, { error }) {
          sendProblem(reply.request as FastifyRequest, reply as FastifyReply, upstreamError(error, upstream.name))
        }
      }
      // One set of hooks for all the URLs a pattern expands to: they share its state (a limiter's counters).
      const onRequest = [auth, ...(hooks?.(route) ?? [])]
      for (const url of route.urls) {
        ctx.route({
          method: route.methods,
          url,
          config: { route },
          onRequest,
          handler (request, reply) {
            const path = request.url.split('?', 1)[0]
            return reply.from(basePath + path, options)
          }
        })
      }
    }
  })
}

/** Each upstream gets its own reply-from (its own undici pool); its routes are compiled into the router. */
export default fp<ProxyOptions>(async function gatehouseProxy (app, opts) {
  const byUpstream = new Map<string, RuntimeRoute[]>()
  for (const route of opts.gateway.routes) {
    const list = byUpstream.get(route.upstream) ?? []
    list.push(route)
    byUpstream.set(route.upstream, list)
  }
  for (const [name, routes] of byUpstream) {
    upstreamContext(app, opts.gateway, opts.gateway.config.upstreams.get(name) as UpstreamConfig, routes, opts.routeHooks)
  }
}, { fastify: '5.x', name: 'gatehouse-proxy', dependencies: ['gatehouse-errors', 'gatehouse-request-guard'] })
