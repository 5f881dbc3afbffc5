import { parseCookie, stringifySetCookie } from 'cookie'

/**
 * Cookie names and attributes. Over TLS a cookie is `__Host-` prefixed and `Secure`: the
 * browser then takes it only from this host, over HTTPS, for the whole site, so a sibling
 * subdomain cannot plant one. Plain HTTP (development, tests) gets the bare name, since a
 * browser refuses `__Host-` without `Secure`.
 */
export function cookieName (base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base
}

/** The first cookie of that name in a Cookie header. */
export function readCookie (header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  const text = Array.isArray(header) ? header.join('; ') : header
  if (!text.includes(name)) return undefined
  return parseCookie(text)[name]
}

export function setCookie (name: string, value: string, secure: boolean, maxAgeS: number): string {
  return stringifySetCookie({ name, value, path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: maxAgeS })
}

export function clearCookie (name: string, secure: boolean): string {
  return stringifySetCookie({ name, value: '', path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: 0 })
}
