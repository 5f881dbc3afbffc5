import { GatehouseError } from '../errors.js'
import { isOidcAuthenticator, type OidcAuthenticator } from '../auth/oidc/oidc-authenticator.js'
import type { RouteAuth } from './authenticate.js'

type Headers = Readonly<Record<string, string | string[] | undefined>>

/**
 * A top-level page load: a GET asking for HTML, not marked by the browser as a fetch, an
 * iframe or an image. Only that is sent to log in; an SPA's XHR gets a plain 401 it can handle.
 */
export function isNavigation (method: string, headers: Headers): boolean {
  if (method !== 'GET') return false
  const mode = headers['sec-fetch-mode']
  if (mode !== undefined && mode !== 'navigate') return false
  const dest = headers['sec-fetch-dest']
  if (dest !== undefined && dest !== 'document') return false
  const accept = headers.accept
  return typeof accept === 'string' && accept.includes('text/html')
}

/** The route's browser login, when this refusal is a missing user on a page load it can fix. */
export function loginFor (route: RouteAuth, method: string, headers: Headers, err: unknown): OidcAuthenticator | undefined {
  if (!(err instanceof GatehouseError) || err.code !== 'missing_credentials' || err.principal !== 'user') return undefined
  if (!isNavigation(method, headers)) return undefined
  return route.userAuth.find(isOidcAuthenticator)
}
