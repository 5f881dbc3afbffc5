import type { Authenticator } from '../types.js'
import type { LoginFlow } from './login-flow.js'

/** An oidc authenticator: the session check of the request path, plus the login endpoints the HTTP layer serves. */
export interface OidcAuthenticator extends Authenticator {
  readonly type: 'oidc'
  readonly login: LoginFlow
  readonly redirectPath: string
  readonly logoutPath: string
  /**
   * Starts a session for `user` as a login would, without the provider: for `gatehouse test`
   * cases only. Answers the Cookie header value that carries it.
   */
  testSession (user: string, claims: Record<string, unknown>, scopes: string[], secure: boolean): Promise<string>
}

/** Told apart without loading the oidc modules: a config without an oidc authenticator never does. */
export function isOidcAuthenticator (a: Authenticator): a is OidcAuthenticator {
  return a.type === 'oidc' && 'login' in a
}
