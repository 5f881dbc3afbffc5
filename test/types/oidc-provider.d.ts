// oidc-provider ships no types; the tests drive it as a real authorization server through a
// few calls checked by the tests themselves.
declare module 'oidc-provider'
