/**
 * The config's fixed vocabularies, free of TypeBox: the loader reads them on every start and
 * every `check`, and importing the schema builder only for these lists would cost more than
 * the validation itself. `src/config/schema.ts` builds its types from them.
 */
export const POLICIES = ['public', 'client', 'user', 'client+user'] as const
export type PolicyName = typeof POLICIES[number]
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
export type HttpMethod = typeof HTTP_METHODS[number]

/** Which principal each authenticator type proves; its keys are the types. */
export const AUTHENTICATOR_PRINCIPAL = {
  apiKey: 'client',
  clientToken: 'client',
  mtls: 'client',
  jwt: 'user',
  introspection: 'user',
  basic: 'user',
  oidc: 'user',
  userToken: 'user'
} as const satisfies Record<string, 'client' | 'user'>
export type AuthenticatorType = keyof typeof AUTHENTICATOR_PRINCIPAL
export const AUTHENTICATOR_TYPES = Object.keys(AUTHENTICATOR_PRINCIPAL) as AuthenticatorType[]
/** What an authenticator may be called: it is also a metric label and a Remote-Auth value. */
export const AUTHENTICATOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/
