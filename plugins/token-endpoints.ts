import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Gateway } from '../src/gateway.js'
import { createOAuthEndpoints, type OAuthResponse } from '../src/tokens/oauth-endpoints.js'
import { TOKEN_ENDPOINT_PATHS as PATHS } from '../src/tokens/endpoint-paths.js'
import './types.js'

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
export default async function gatehouseTokenEndpoints (app: FastifyInstance, opts: { gateway: Gateway }): Promise<void> {
  const { gateway } = opts
  const endpoints = createOAuthEndpoints({ clients: gateway.config.clients, tokens: gateway.tokens, cache: gateway.cache, logger: gateway.logger })
  const jwks = JSON.stringify(gateway.tokens.jwks)

  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_request, body, done) => {
    done(null, new URLSearchParams(body as string))
  })
  // Any other body is read and dropped: the endpoint then answers invalid_request in OAuth form.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: FORM_LIMIT }, (_request, _body, done) => done(null, undefined))

  const oauthRequest = (request: { headers: Record<string, string | string[] | undefined>, body: unknown, ip: string }): Parameters<typeof endpoints.token>[0] => ({
    headers: request.headers,
    form: request.body instanceof URLSearchParams ? request.body : undefined,
    ip: request.ip
  })

  app.post(PATHS.token, async (request, reply) => send(reply, await endpoints.token(oauthRequest(request))))
  app.post(PATHS.revoke, async (request, reply) => send(reply, await endpoints.revoke(oauthRequest(request))))
  app.get(PATHS.jwks, async (_request, reply) => {
    reply.header('content-type', 'application/jwk-set+json').header('cache-control', 'public, max-age=300')
    return reply.send(jwks)
  })
}
