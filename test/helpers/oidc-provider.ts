import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import Provider from 'oidc-provider'
import { exportJWK, generateKeyPair } from 'jose'
import { request } from 'undici'
import { freePort } from './ports.js'

interface Teardown { teardown (fn: () => unknown): void }

/** The gateway's client at the test provider. */
export const WEB_CLIENT = { id: 'gatehouse-web', secret: 'gatehouse-web-client-secret-0123456789' } as const
/** The gateway's client that authenticates with private_key_jwt (its private JWK is `TestOidcProvider.privateJwk`). */
export const JWT_CLIENT_ID = 'gatehouse-web-jwt'
/** session.key of the test configs: 32+ characters. */
export const SESSION_KEY = 'test-session-key-0123456789abcdef0123456789'

export interface TestOidcProvider {
  /** The issuer: http://127.0.0.1:port */
  url: string
  provider: InstanceType<typeof Provider>
  /** Requests to the token endpoint so far, by grant type. */
  readonly grants: Record<string, number>
  /** The private key (JWK, ES256) of the private_key_jwt client, JSON. */
  privateJwk: string
  /** Destroys every refresh token issued so far: the next refresh is refused (invalid_grant). */
  revokeRefreshTokens (): Promise<void>
}

export interface OidcProviderOptions {
  /** The gateway origins (http://127.0.0.1:port) that may log in: their /oauth2/callback and / are registered. */
  origins: string[]
  /** Seconds an access token lives (the session refreshes after it). */
  accessTokenTtl?: number
  /** Extra claims by account id (login name). */
  claims?: Record<string, Record<string, unknown>>
  /** Awaited before a refresh grant's answer goes out (its tokens issued already): a provider slow to refresh. */
  holdRefresh?: () => Promise<void>
}

/**
 * A real OpenID Provider (oidc-provider) with its development login form: any login name,
 * any password. Consent is granted on its own, so a login is one form. Refresh tokens are
 * issued to the gateway's client, and RP-initiated logout is advertised.
 */
export async function startOidcProvider (t: Teardown, options: OidcProviderOptions): Promise<TestOidcProvider> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
  const publicJwk = { ...await exportJWK(publicKey), kid: 'gateway-1', alg: 'ES256', use: 'sig' }
  const privateJwk = JSON.stringify({ ...await exportJWK(privateKey), kid: 'gateway-1', alg: 'ES256' })
  const redirects = {
    redirect_uris: options.origins.map(o => `${o}/oauth2/callback`),
    post_logout_redirect_uris: options.origins.map(o => `${o}/`)
  }
  const provider = new Provider(url, {
    clients: [{
      client_id: JWT_CLIENT_ID,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...redirects,
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [publicJwk] }
    }, {
      client_id: WEB_CLIENT.id,
      client_secret: WEB_CLIENT.secret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...redirects,
      token_endpoint_auth_method: 'client_secret_basic'
    }],
    claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'department'], email: ['email'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'],
    ttl: { AccessToken: options.accessTokenTtl ?? 3600, IdToken: 3600, RefreshToken: 86400, Interaction: 600, Session: 86400, Grant: 86400 },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed (g: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, preferred_username: id, name: id, email: `${id}@example.com`, ...options.claims?.[id] })
    }),
    // A grant for everything asked: the login form is the only interaction.
    loadExistingGrant: async (ctx: any) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId })
      grant.addOIDCScope(ctx.oidc.params.scope)
      await grant.save()
      return grant
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true }
    }
  } as never)
  provider.on('server_error', () => {})
  const hold = options.holdRefresh
  if (hold !== undefined) {
    provider.use(async (ctx: any, next: () => Promise<void>) => {
      await next()
      if (ctx.oidc?.params?.grant_type === 'refresh_token') await hold()
    })
  }
  const grants: Record<string, number> = {}
  const callback = provider.callback()
  provider.on('grant.success', (ctx: { oidc: { params: { grant_type?: string } } }) => {
    const grant = ctx.oidc.params.grant_type ?? ''
    grants[grant] = (grants[grant] ?? 0) + 1
  })
  const refreshTokens: Array<{ destroy (): Promise<void> }> = []
  provider.on('refresh_token.saved', (token: { destroy (): Promise<void> }) => refreshTokens.push(token))
  const server = createServer((req: IncomingMessage, res: ServerResponse) => callback(req, res))
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  })
  return {
    url,
    provider,
    grants,
    privateJwk,
    async revokeRefreshTokens () {
      for (const token of refreshTokens.splice(0)) await token.destroy()
    }
  }
}

export interface Page {
  status: number
  url: string
  headers: Record<string, string | string[] | undefined>
  text: string
}

/**
 * A scripted browser over plain HTTP: a cookie jar per host name (as a browser's, ports
 * apart), redirects followed, Accept: text/html like a page load. The login tests that need
 * no JavaScript run with it; the headless-browser test drives a real one.
 */
export class ScriptedBrowser {
  readonly jar = new Map<string, Map<string, string>>()

  cookies (url: string): Map<string, string> {
    const host = new URL(url).hostname
    let jar = this.jar.get(host)
    if (jar === undefined) this.jar.set(host, jar = new Map())
    return jar
  }

  async go (url: string, init: { method?: string, form?: Record<string, string>, headers?: Record<string, string> } = {}): Promise<Page> {
    let method = init.method ?? 'GET'
    let body = init.form === undefined ? undefined : new URLSearchParams(init.form).toString()
    let at = url
    for (let hop = 0; hop < 20; hop++) {
      const jar = this.cookies(at)
      const headers: Record<string, string> = { accept: 'text/html,application/xhtml+xml', ...init.headers }
      if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
      if (method === 'POST' && headers.origin === undefined) headers.origin = new URL(at).origin
      const res = await request(at, { method: method as 'GET', headers, body })
      const text = await res.body.text()
      const set = res.headers['set-cookie']
      for (const line of set === undefined ? [] : Array.isArray(set) ? set : [set]) {
        const pair = line.split(';', 1)[0] as string
        const eq = pair.indexOf('=')
        const name = pair.slice(0, eq).trim()
        const value = pair.slice(eq + 1).trim()
        if (/;\s*max-age=0(;|$)/i.test(line) || value === '') jar.delete(name)
        else jar.set(name, value)
      }
      const location = res.headers.location
      if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
        at = new URL(location, at).href
        if (res.statusCode !== 307 && res.statusCode !== 308) { method = 'GET'; body = undefined }
        continue
      }
      return { status: res.statusCode, url: at, headers: res.headers as Page['headers'], text }
    }
    throw new Error('too many redirects')
  }

  /** From the provider's login form, signs in as `login` and follows the way back. */
  async signIn (page: Page, login: string): Promise<Page> {
    const action = /<form[^>]*action="([^"]+)"/.exec(page.text)?.[1]
    if (action === undefined) throw new Error(`no login form at ${page.url} (${page.status})`)
    return await this.go(new URL(action, page.url).href, { method: 'POST', form: { prompt: 'login', login, password: 'any' } })
  }

  /** On the provider's logout question, answers "Yes, sign me out" and follows the way back. */
  async confirmSignOut (page: Page): Promise<Page> {
    const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(page.text)
    if (form === null) throw new Error(`no logout form at ${page.url} (${page.status})`)
    const fields: Record<string, string> = { logout: 'yes' }
    for (const m of (form[2] as string).matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) fields[m[1] as string] = m[2] as string
    return await this.go(new URL(form[1] as string, page.url).href, { method: 'POST', form: fields })
  }
}

export interface OidcGatewayOptions {
  /** The port the gateway listens on: its origin is registered at the provider beforehand. */
  port: number
  provider: TestOidcProvider
  upstream: string
  redis?: string
  /** Extra keys of the oidc authenticator, YAML flow-map entries (`, scopes: [...]`). */
  authenticator?: string
  /** Extra keys of session: (`, idleTimeout: 2s`). */
  session?: string
  /** How the gateway is the provider's client (YAML flow-map entries); default: the secret client. */
  client?: string
  /** Extra keys of the /app/* route (`websocket: true`). */
  route?: string
}

/** A gateway with one oidc authenticator, `browser`, in front of /app/* (policy user). */
export function oidcGatewayYaml (o: OidcGatewayOptions): string {
  return `server:
  listen: 127.0.0.1:${o.port}
  admin: 127.0.0.1:0
cache:
  redis: "${o.redis ?? ''}"
authenticators:
  browser: { type: oidc, issuer: "${o.provider.url}", ${o.client ?? `clientId: ${WEB_CLIENT.id}, ` +
    `clientSecret: ${WEB_CLIENT.secret}`}, userClaim: preferred_username, session: { key: "${SESSION_KEY}"${o.session ?? ''} }${o.authenticator ?? ''} }
upstreams:
  app: { url: "${o.upstream}" }
routes:
  - match: /app/*
    upstream: app
    policy: user
    user: [browser]
${o.route === undefined ? '' : `    ${o.route}\n`}`
}

/** Opens `path` on the gateway, signs in at the provider as `user`, and comes back: the page, and the session id. */
export async function logIn (browser: ScriptedBrowser, origin: string, path: string, user: string): Promise<{ page: Page, sid: string }> {
  const form = await browser.go(`${origin}${path}`)
  const page = await browser.signIn(form, user)
  const sid = browser.cookies(origin).get('gatehouse-session')
  if (sid === undefined) throw new Error(`no session after logging in (${page.status} at ${page.url})`)
  return { page, sid }
}
