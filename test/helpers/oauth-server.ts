import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import Provider from 'oidc-provider'
import { request } from 'undici'
import { freePort } from './ports.js'
import { ordersRoute } from './gateway.js'

interface Teardown { teardown (fn: () => unknown): void }

/** The gateway's credentials at the test authorization server (Basic, and form-field auth). */
export const AS_CLIENTS = {
  basic: { id: 'gateway', secret: 'gateway-introspection-secret' },
  post: { id: 'gateway-post', secret: 'gateway-post-introspection-secret' },
  app: { id: 'mobile-app', secret: 'mobile-app-secret' }
} as const

export interface MintOptions {
  sub?: string
  scope?: string
  /** Seconds until the token expires. */
  expiresIn?: number
  /** Extra introspection fields (django-oauth-toolkit's `username`, say), for every token of this `sub`. */
  extra?: Record<string, unknown>
}

export interface TestAuthServer {
  url: string
  introspectionEndpoint: string
  /** Introspection requests received so far (whatever they were answered). */
  readonly calls: number
  /** Introspection requests being answered now, and the most at once so far. */
  readonly inFlight: number
  readonly peak: number
  /** How the introspection endpoint answers: normally, with a fixed status and body, after `delayMs`, or once `until` settles. */
  behaviour: { kind: 'normal' } | { kind: 'answer', status: number, body: string } | { kind: 'slow', delayMs: number } | { kind: 'held', until: Promise<void> }
  /** An opaque access token issued by oidc-provider to the mobile app, for a user. */
  mint (options?: MintOptions): Promise<string>
  /** An opaque token from a real `client_credentials` grant at the token endpoint. */
  clientCredentials (scope: string): Promise<string>
  /**
   * A JWT access token (RS256, signed with the server's own keys, `aud` {@link JWT_AUDIENCE})
   * from a `client_credentials` grant for the resource {@link JWT_RESOURCE}; its `sub` is the app's id.
   */
  jwtAccessToken (scope: string): Promise<string>
  /** Revokes a token at the server: introspection then answers `active: false`. */
  revoke (token: string): Promise<void>
  /** Closes the listener: connections are refused until start(). */
  stop (): Promise<void>
  start (): Promise<void>
}

/** The resource indicator (RFC 8707) whose access tokens the server issues as JWTs, and their audience. */
export const JWT_RESOURCE = 'https://orders.example/'
export const JWT_AUDIENCE = 'orders-api'

/**
 * A real OAuth 2.0 authorization server (oidc-provider) with introspection and the
 * client_credentials grant enabled; the gateway's clients may introspect any token.
 */
export async function startAuthServer (t: Teardown): Promise<TestAuthServer> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  // oidc-provider sets an opaque token's extra fields from extraTokenClaims at save time.
  const extraByAccount = new Map<string, Record<string, unknown>>()
  const provider = new Provider(url, {
    clients: [
      {
        client_id: AS_CLIENTS.basic.id,
        client_secret: AS_CLIENTS.basic.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic'
      },
      {
        client_id: AS_CLIENTS.post.id,
        client_secret: AS_CLIENTS.post.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_post'
      },
      {
        client_id: AS_CLIENTS.app.id,
        client_secret: AS_CLIENTS.app.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'orders:read orders:write'
      }
    ],
    scopes: ['orders:read', 'orders:write'],
    ttl: { ClientCredentials: 600 },
    extraTokenClaims: async (_ctx: unknown, token: { accountId?: string }) => (token.accountId === undefined ? undefined : extraByAccount.get(token.accountId)),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: { clientId: string }) => client.clientId === AS_CLIENTS.basic.id || client.clientId === AS_CLIENTS.post.id
      },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => {
          if (resource !== JWT_RESOURCE) throw new Error(`unknown resource ${resource}`)
          return { scope: 'orders:read orders:write', audience: JWT_AUDIENCE, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }
        }
      }
    }
  })
  provider.on('server_error', () => {})
  const callback = provider.callback()
  const introspectionPath = '/token/introspection'
  let calls = 0
  let inFlight = 0
  let peak = 0
  const state: Pick<TestAuthServer, 'behaviour'> = { behaviour: { kind: 'normal' } }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith(introspectionPath) === true) {
      calls++
      inFlight++
      peak = Math.max(peak, inFlight)
      res.once('close', () => { inFlight-- })
      const b = state.behaviour
      if (b.kind === 'answer') {
        res.writeHead(b.status, { 'content-type': 'application/json' }).end(b.body)
        return
      }
      if (b.kind === 'slow') {
        const timer = setTimeout(() => callback(req, res), b.delayMs)
        res.on('close', () => clearTimeout(timer))
        return
      }
      if (b.kind === 'held') {
        void b.until.then(() => { if (!res.destroyed) callback(req, res) })
        return
      }
    }
    callback(req, res)
  })
  const start = async (): Promise<void> => {
    await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  }
  const stop = async (): Promise<void> => {
    if (!server.listening) return
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
  await start()
  t.teardown(stop)
  async function grant (form: Record<string, string>): Promise<string> {
    const res = await request(`${url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${AS_CLIENTS.app.id}:${AS_CLIENTS.app.secret}`).toString('base64')}`
      },
      body: new URLSearchParams(form).toString()
    })
    const body = await res.body.json() as { access_token?: string }
    if (res.statusCode !== 200 || body.access_token === undefined) throw new Error(`client_credentials failed: ${res.statusCode} ${JSON.stringify(body)}`)
    return body.access_token
  }
  const app = await provider.Client.find(AS_CLIENTS.app.id)
  if (app === undefined) throw new Error('the test client is missing')
  return {
    url,
    introspectionEndpoint: `${url}${introspectionPath}`,
    get calls () { return calls },
    get inFlight () { return inFlight },
    get peak () { return peak },
    get behaviour () { return state.behaviour },
    set behaviour (b) { state.behaviour = b },
    async mint (options = {}) {
      if (options.extra !== undefined) extraByAccount.set(options.sub ?? 'alice', options.extra)
      const token = new provider.AccessToken({
        client: app,
        accountId: options.sub ?? 'alice',
        scope: options.scope ?? 'orders:read',
        expiresIn: options.expiresIn ?? 3600
      })
      return await token.save()
    },
    clientCredentials: async scope => await grant({ grant_type: 'client_credentials', scope }),
    jwtAccessToken: async scope => await grant({ grant_type: 'client_credentials', scope, resource: JWT_RESOURCE }),
    async revoke (token) {
      const found = await provider.AccessToken.find(token) ?? await provider.ClientCredentials.find(token)
      if (found === undefined) throw new Error('no such token')
      await found.destroy()
    },
    stop,
    start
  }
}

/** A gateway config with one `user`-policy route behind an introspection authenticator. */
/** `timeout`: the authorization server's answer time allowed; long by default, so a loaded machine is not an outage. */
export function introspectionYaml (as: TestAuthServer, upstream: string, options: { redis?: string, auth?: string, timeout?: string } = {}): string {
  return `server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
cache:
  redis: "${options.redis ?? ''}"
authenticators:
  oauth: { type: introspection, endpoint: "${as.introspectionEndpoint}", clientId: ${AS_CLIENTS.basic.id},
    clientSecret: ${AS_CLIENTS.basic.secret}, timeout: ${options.timeout ?? '20s'}${options.auth ?? ''} }
${ordersRoute(upstream, 'oauth')}`
}
