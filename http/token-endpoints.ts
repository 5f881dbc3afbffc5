import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Gateway } from '../src/gateway.js'
import { createOAuthEndpoints, type OAuthResponse } from '../src/tokens/oauth-endpoints.js'
import { TOKEN_ENDPOINT_PATHS as PATHS } from '../src/routing/endpoint-paths.js'
import type { Observe } from './exchange.js'
import type { Metrics, RouteSeries } from './metrics.js'

/** Token requests are a few short parameters: a larger body is not one. */
const FORM_LIMIT = 16 * 1024

function send (reply: FastifyReply, res: OAuthResponse): FastifyReply {
  reply.code(res.status).headers(res.headers).header('content-type', 'application/json; charset=utf-8')
  return reply.send(JSON.stringify(res.body))
}

/**
 * POST /oauth/token, POST /oauth/revoke and GET /.well-known/jwks.json. Encapsulated (no
 * fastify-plugin): the form parser lives here only; proxied bodies elsewhere stay untouched.
 */
export default async function gatehouseTokenEndpoints (app: FastifyInstance, opts: { gateway: Gateway, observe: Observe, metrics: Metrics }): Promise<void> {
  const { gateway, observe, metrics } = opts
  const series = new Map<string, RouteSeries>(Object.values(PATHS).map(path => [path, metrics.route(path, undefined)]))
  app.addHook('onRequest', async (request, reply) => {
    const x = observe(request, reply, undefined, series.get(request.routeOptions.url ?? '') ?? metrics.route('', undefined))
    reply.header('x-request-id', request.id)
    // Nothing here refuses before reading the body: let a client waiting on 100 Continue send it.
    if (request.headers.expect !== undefined) x.res.writeContinue()
  })
  const endpoints = createOAuthEndpoints({
    clients: gateway.config.clients, tokens: gateway.tokens, cache: gateway.cache, logger: gateway.logger, slots: gateway.secretSlots
  })
  let jwks: string | undefined

  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_request, body, done) => {
    done(null, new URLSearchParams(body as string))
  })
  // Any other body is read and dropped: the endpoint then answers invalid_request in OAuth form.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: FORM_LIMIT }, (_request, _body, done) => done(null, undefined))

  const oauthRequest = (request: {
    headers: Record<string, string | string[] | undefined>
    body: unknown
    ip: string
  }): Parameters<typeof endpoints.token>[0] => ({
    headers: request.headers,
    form: request.body instanceof URLSearchParams ? request.body : undefined,
    ip: request.ip
  })

  app.post(PATHS.token, async (request, reply) => send(reply, await endpoints.token(oauthRequest(request))))
  app.post(PATHS.revoke, async (request, reply) => send(reply, await endpoints.revoke(oauthRequest(request))))
  app.get(PATHS.jwks, async (_request, reply) => {
    reply.header('content-type', 'application/jwk-set+json').header('cache-control', 'public, max-age=300')
    jwks ??= JSON.stringify(await gateway.tokens.jwks())
    return reply.send(jwks)
  })
}
