/** One of `server.publicOrigins`: the origin as configured, and the parts a request is told. */
export interface PublicOrigin {
  /** `https://api.example.com`: what login and CSRF use. */
  origin: string
  /** `https` */
  protocol: string
  /** `api.example.com` (with the port when not the scheme's default): what X-Forwarded-Host says. */
  host: string
}

/** Which public origin a request reached, from its scheme and Host; undefined: none of them. */
export type OriginMatcher = (protocol: string, host: string | undefined) => PublicOrigin | undefined

const DEFAULT_PORT: Record<string, string> = { http: ':80', https: ':443' }

/** What is wrong with a `server.publicOrigins` entry, or undefined when it is an origin. */
export function publicOriginProblem (text: string): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'must be an origin: https://host[:port]'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http:// or https:// origin'
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '' || text.endsWith('/')) {
    return 'must be an origin alone (scheme, host and port): no path, query or user'
  }
  return undefined
}

/**
 * The matcher of `server.publicOrigins` (each valid, see {@link publicOriginProblem}), or
 * undefined when the list is empty: then any Host is taken as sent. Host names compare
 * case-insensitively and a scheme's default port may be spelled or not; anything else that
 * differs (another port, a trailing dot, userinfo) is another origin.
 */
export function compilePublicOrigins (origins: readonly string[]): OriginMatcher | undefined {
  if (origins.length === 0) return undefined
  const known = new Map<string, PublicOrigin>()
  for (const text of origins) {
    const url = new URL(text)
    const protocol = url.protocol.slice(0, -1)
    known.set(`${protocol}://${url.host}`, { origin: url.origin, protocol, host: url.host })
  }
  return (protocol, host) => {
    if (host === undefined || host === '') return undefined
    let h = host.toLowerCase()
    const port = DEFAULT_PORT[protocol]
    if (port !== undefined && h.endsWith(port)) h = h.slice(0, -port.length)
    return known.get(`${protocol}://${h}`)
  }
}
