import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Gateway } from '../src/gateway.js'
import { isOidcAuthenticator } from '../src/auth/oidc/oidc-authenticator.js'
import type { LoginAnswer } from '../src/auth/oidc/login-flow.js'
import { checkLogoutOrigin } from '../src/decision/decide.js'
import { answerProblem } from './errors.js'
import type { Exchange, Observe } from './exchange.js'
import type { Metrics, RouteSeries } from './metrics.js'

/** A logout form carries nothing the gateway reads: a larger body is not one. */
const FORM_LIMIT = 16 * 1024

/**
 * This gateway's origin as the browser sees it: the `server.publicOrigins` entry the request
 * matched, else its scheme and Host (Fastify's protocol and host follow `server.trustProxy`).
 */
export function originOf (request: FastifyRequest): string {
  return request.publicOrigin?.origin ?? `${request.protocol}://${request.host}`
}

/** A login step's redirect, on the raw response like every other answer of the gateway. */
export function answerRedirect (x: Exchange, status: 302 | 303, answer: LoginAnswer): void {
  const headers = [...x.responseHeaders, 'location', answer.location, 'cache-control', 'no-store', 'content-length', '0']
  for (const c of answer.cookies) headers.push('set-cookie', c)
  x.res.writeHead(status, headers)
  x.res.end()
}

/**
 * Each oidc authenticator's own endpoints: the provider's redirect back (`redirectPath`,
 * GET) and `logoutPath` (POST, same-origin only). Encapsulated: the body parser for the
 * logout form lives here only.
 */
export default async function gatehouseLoginEndpoints (app: FastifyInstance, opts: { gateway: Gateway, observe: Observe, metrics: Metrics }): Promise<void> {
  const { gateway, observe, metrics } = opts
  const logins = [...gateway.authenticators.values()].filter(isOidcAuthenticator)
  if (logins.length === 0) return
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: FORM_LIMIT }, (_request, _body, done) => done(null, undefined))
  const series = new Map<string, RouteSeries>()
  for (const a of logins) for (const path of [a.redirectPath, a.logoutPath]) series.set(path, metrics.route(path, undefined))

  const exchange = (request: FastifyRequest, reply: Parameters<Observe>[1]): Exchange => {
    reply.hijack()
    return observe(request, reply, undefined, series.get(request.routeOptions.url ?? '') ?? metrics.route('', undefined))
  }
  for (const oidc of logins) {
    app.get(oidc.redirectPath, async (request, reply) => {
      const x = exchange(request, reply)
      try {
        const url = request.originalUrl
        const q = url.indexOf('?')
        const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1))
        answerRedirect(x, 302, await oidc.login.finish(query, request.headers.cookie, originOf(request), request.protocol === 'https'))
      } catch (err) {
        answerProblem(x, err)
      }
    })
    app.post(oidc.logoutPath, async (request, reply) => {
      const x = exchange(request, reply)
      try {
        // Another site must not be able to log the browser out either.
        checkLogoutOrigin(request.headers, originOf(request), oidc.name)
        answerRedirect(x, 303, await oidc.login.logout(request.headers.cookie, originOf(request), request.protocol === 'https'))
      } catch (err) {
        answerProblem(x, err)
      }
    })
  }
}
