import Router from 'find-my-way'
import { GatehouseError } from '../errors.js'
import { TOKEN_ENDPOINT_PATHS } from './endpoint-paths.js'
import type { RoutingConfig } from './options.js'
import { routerUrl } from './request-path.js'

/**
 * The router options the gateway's Fastify app is built with. find-my-way is Fastify's own
 * router: given the same options and the same route paths, a table built here answers
 * exactly as the listener does, so `explain` and the config warnings never guess.
 * Its own parameter limit is off: find-my-way treats a longer parameter as a mismatch and
 * backtracks to a sibling (`/v/*` beside `/v/:version/admin/*`), so a long parameter would
 * choose the route. The limit is `judgeParams`, after the route is chosen.
 */
export function routerOptions (routing: RoutingConfig): {
  maxParamLength: number
  caseSensitive: boolean
  ignoreTrailingSlash: boolean
  ignoreDuplicateSlashes: false
  useSemicolonDelimiter: false
} {
  return {
    maxParamLength: Number.MAX_SAFE_INTEGER,
    caseSensitive: routing.caseSensitive,
    ignoreTrailingSlash: routing.ignoreTrailingSlash,
    ignoreDuplicateSlashes: false,
    useSemicolonDelimiter: false
  }
}

/**
 * Refuses a matched route's `:parameter` longer than `server.routing.maxParamLength` (414).
 * The wildcard's rest of the path is not a parameter: the header size limit bounds it.
 */
export function judgeParams (params: Readonly<Record<string, string | undefined>>, routing: Pick<RoutingConfig, 'maxParamLength'>): void {
  for (const name in params) {
    const value = params[name]
    if (name !== '*' && value !== undefined && value.length > routing.maxParamLength) {
      const detail = `the path parameter :${name} is longer than ${routing.maxParamLength} characters (server.routing.maxParamLength)`
      throw new GatehouseError('uri_too_long', detail)
    }
  }
}

/** What serves a request: one of the config's routes, one of the gateway's own endpoints, or nothing (a path the router cannot decode). */
export type RouteHit =
  | { kind: 'route', index: number, params: Record<string, string | undefined> }
  | { kind: 'token-endpoint', path: string }
  | { kind: 'login-endpoint', path: string, authenticator: string, endpoint: 'redirect' | 'logout' }
  | { kind: 'undecodable' }

/** An oidc authenticator's own paths: the provider's redirect back (GET) and logout (POST). */
export interface LoginEndpoints { authenticator: string, redirectPath: string, logoutPath: string }

type Store =
  | { kind: 'route', index: number }
  | { kind: 'token-endpoint', path: string }
  | { kind: 'login-endpoint', path: string, authenticator: string, endpoint: 'redirect' | 'logout' }

const TOKEN_ENDPOINT_METHODS: Record<string, 'GET' | 'POST'> = {
  [TOKEN_ENDPOINT_PATHS.token]: 'POST',
  [TOKEN_ENDPOINT_PATHS.revoke]: 'POST',
  [TOKEN_ENDPOINT_PATHS.jwks]: 'GET'
}

const noop = (): void => {}

export interface RouteTable {
  /** The route the listener would run for `method` and the request target (query included, as the router sees it). */
  find (method: string, url: string): RouteHit | undefined
}

/**
 * The public listener's routing, framework-free: the config's routes and the token
 * endpoints, under `routing`. The target goes through the same rewrite as in the app
 * (`;` parameters dropped when allowed).
 */
export function buildRouteTable (
  routes: ReadonlyArray<{ index: number, urls: readonly string[], methods: Router.HTTPMethod[] }>,
  routing: RoutingConfig,
  withTokenEndpoints = true,
  logins: readonly LoginEndpoints[] = []
): RouteTable {
  // As in the app: a path that cannot be decoded, or a parameter past maxParamLength, is answered 400 before any route.
  const router = Router({ ...routerOptions(routing), onBadUrl: noop, onMaxParamLength: noop })
  if (withTokenEndpoints) {
    for (const [path, method] of Object.entries(TOKEN_ENDPOINT_METHODS)) router.on(method, path, noop, { kind: 'token-endpoint', path } satisfies Store)
  }
  for (const l of logins) {
    router.on('GET', l.redirectPath, noop, {
      kind: 'login-endpoint',
      path: l.redirectPath,
      authenticator: l.authenticator,
      endpoint: 'redirect'
    } satisfies Store)
    router.on('POST', l.logoutPath, noop, { kind: 'login-endpoint', path: l.logoutPath, authenticator: l.authenticator, endpoint: 'logout' } satisfies Store)
  }
  for (const r of routes) {
    for (const url of r.urls) router.on(r.methods, url, noop, { kind: 'route', index: r.index } satisfies Store)
  }
  return {
    find (method, url) {
      const found = router.find(method as never, routing.allowSemicolons ? routerUrl(url) : url)
      if (found === null) return undefined
      const store = found.store as Store | null
      if (store === null) return { kind: 'undecodable' }
      return store.kind === 'route' ? { kind: 'route', index: store.index, params: { ...found.params } } : { ...store }
    }
  }
}
