/**
 * An `oidc` authenticator named `browser` whose provider is never reached (127.0.0.1:9): for
 * tests of what a session or the login endpoints decide without a login. Sessions come from
 * the authenticator's own `testSession` hook, as policy tests make theirs.
 */
export const OFFLINE_BROWSER_LOGIN =
  `browser: { type: oidc, issuer: "http://127.0.0.1:9", clientId: web, clientSecret: "${'s'.repeat(32)}", session: { key: "${'k'.repeat(32)}" } }`
