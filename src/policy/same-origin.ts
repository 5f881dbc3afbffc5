import { GatehouseError } from '../errors.js'
import type { Authenticator } from '../auth/types.js'
import type { Identity } from './authenticate.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

type Headers = Readonly<Record<string, string | string[] | undefined>>

/**
 * Whether the browser says the request comes from a page of `origin`: Sec-Fetch-Site when
 * sent (every current browser), else Origin, else Referer. A request that says none of them
 * cannot show where it comes from and is not taken as same-origin.
 */
export function fromSameOrigin (headers: Headers, origin: string): boolean {
  const site = headers['sec-fetch-site']
  if (typeof site === 'string') return site === 'same-origin' || site === 'none'
  const from = headers.origin
  if (typeof from === 'string') return from === origin
  const referer = headers.referer
  if (typeof referer !== 'string') return false
  try {
    return new URL(referer).origin === origin
  } catch {
    return false
  }
}

/**
 * Whether the browser says the request comes from another origin: Sec-Fetch-Site `same-site`
 * or `cross-site`, else an Origin, else a Referer, of another origin. A request that says
 * none of them (a typed URL or bookmark in an older browser) is not taken as foreign.
 */
export function fromOtherOrigin (headers: Headers, origin: string): boolean {
  const site = headers['sec-fetch-site']
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none'
  const from = headers.origin
  if (typeof from === 'string') return from !== origin
  const referer = headers.referer
  if (typeof referer !== 'string') return false
  try {
    return new URL(referer).origin !== origin
  } catch {
    return true
  }
}

/**
 * CSRF, as Django REST Framework's SessionAuthentication enforces it: a request the browser
 * authenticated on its own (the session cookie) that changes state, or opens a WebSocket,
 * must come from this gateway's own origin. A GET or HEAD from another site (a link) passes,
 * as SameSite=Lax lets its cookie through, unless the route is `csrf: strict` (its GETs change
 * state): then one the browser marks as coming from another origin is refused too. A token in
 * a header needs no such check: another site cannot make the browser send it. An origin the
 * route's CORS lets send cookies (`credentials: true`) is trusted as the gateway's own (`trusted`).
 */
export function checkSameOrigin (
  identity: Identity,
  userAuth: readonly Authenticator[],
  method: string,
  upgrade: boolean,
  headers: Headers,
  origin: () => string,
  strict = false,
  trusted: (origin: string) => boolean = () => false
): void {
  const user = identity.user
  if (user === undefined) return
  const safe = SAFE_METHODS.has(method) && !upgrade
  if (safe && !strict) return
  if (userAuth.find(a => a.name === user.authenticator)?.browserSession !== true) return
  if (safe) {
    if (!fromOtherOrigin(headers, origin())) return
    throw new GatehouseError('csrf_failed', 'this route (csrf: strict) takes requests authenticated by the session cookie from this site only', {
      principal: 'user',
      authenticator: user.authenticator
    })
  }
  if (fromSameOrigin(headers, origin())) return
  if (typeof headers.origin === 'string' && trusted(headers.origin)) return
  throw new GatehouseError(
    'csrf_failed',
    upgrade
      ? 'a WebSocket authenticated by the session cookie must be opened from this site'
      : 'a request authenticated by the session cookie that changes state must come from this site',
    { principal: 'user', authenticator: user.authenticator }
  )
}
