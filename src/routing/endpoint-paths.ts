/** Paths the gateway serves itself: no route may declare them. */
export const TOKEN_ENDPOINT_PATHS = { token: '/oauth/token', revoke: '/oauth/revoke', jwks: '/.well-known/jwks.json' } as const
