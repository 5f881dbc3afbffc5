import { serialize } from 'cookie'

/**
 * Cookie names and attributes. Over TLS a cookie is `__Host-` prefixed and `Secure`: the
 * browser then takes it only from this host, over HTTPS, for the whole site, so a sibling
 * subdomain cannot plant one. Plain HTTP (development, tests) gets the bare name, since a
 * browser refuses `__Host-` without `Secure`.
 */
export function cookieName (base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base
}

/**
 * The first cookie of that name in a Cookie header, found by a scan rather than a parse of
 * every cookie (this runs on each request of a session route). The gateway's own values are
 * base64url: nothing to decode.
 */
export function readCookie (header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  const text = Array.isArray(header) ? header.join('; ') : header
  const wanted = `${name}=`
  let at = text.indexOf(wanted)
  while (at !== -1) {
    const before = at === 0 ? 59 : text.charCodeAt(at - 1)
    // A cookie starts the header or follows "; " (or a bare ";"): "x-name=" is another cookie.
    if (before === 59 || (before === 32 && (at < 2 || text.charCodeAt(at - 2) === 59))) {
      const end = text.indexOf(';', at)
      return text.slice(at + wanted.length, end === -1 ? undefined : end).trim()
    }
    at = text.indexOf(wanted, at + 1)
  }
  return undefined
}

export function setCookie (name: string, value: string, secure: boolean, maxAgeS: number): string {
  return serialize(name, value, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: maxAgeS })
}

export function clearCookie (name: string, secure: boolean): string {
  return serialize(name, '', { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: 0 })
}
