/** RFC 6750 §2.1's b64token (RFC 9110's token68): what a Bearer credential may be made of. */
export const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/

const SCHEME = /^Bearer(?:[ \t]|$)/i

/**
 * The credential of an `Authorization: Bearer` header (RFC 6750 §2.1; the scheme in any
 * case), without the blanks around it: '' when the header names the scheme and nothing else,
 * undefined when there is no such header or it names another scheme. Whether the credential
 * is well formed, and what a malformed one means, is the caller's.
 */
export function bearerCredential (authorization: string | string[] | undefined): string | undefined {
  if (typeof authorization !== 'string' || !SCHEME.test(authorization)) return undefined
  return authorization.slice(6).trim()
}
