import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

interface Teardown { teardown (fn: () => unknown): void }

/** One request the endpoint received: the form fields and the Authorization header. */
export interface IntrospectionCall {
  form: Record<string, string>
  authorization: string | undefined
}

export interface IntrospectionEndpoint {
  /** The server's base URL: its issuer, with metadata at /.well-known/openid-configuration. */
  issuer: string
  /** The introspection endpoint, `${issuer}/introspect`. */
  url: string
  /** What each token is answered (`{ active: false }` for any other); set by the test. */
  answers: Map<string, unknown>
  /** Answers every call with this status and raw body instead, while set. */
  raw: { status: number, body: string } | undefined
  /** While set, calls are held (never answered) until it settles. */
  held: Promise<void> | undefined
  readonly calls: IntrospectionCall[]
  stop (): Promise<void>
}

/**
 * A small RFC 7662 endpoint on a real socket, answering what the test says: for unit tests of
 * the introspection authenticator, where oidc-provider (test/helpers/oauth-server.ts) cannot
 * be told to give an unusual answer.
 */
export async function startIntrospectionEndpoint (t: Teardown): Promise<IntrospectionEndpoint> {
  const calls: IntrospectionCall[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void (async () => {
        if (req.url === '/.well-known/openid-configuration') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: endpoint.issuer, introspection_endpoint: endpoint.url }))
          return
        }
        if (req.url !== '/introspect' || req.method !== 'POST') {
          res.writeHead(404).end()
          return
        }
        const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
        calls.push({ form, authorization: req.headers.authorization })
        if (endpoint.held !== undefined) await endpoint.held
        if (endpoint.raw !== undefined) {
          res.writeHead(endpoint.raw.status, { 'content-type': 'application/json' }).end(endpoint.raw.body)
          return
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(endpoint.answers.get(form.token ?? '') ?? { active: false }))
      })()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const stop = async (): Promise<void> => {
    if (!server.listening) return
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
  t.teardown(stop)
  const endpoint: IntrospectionEndpoint = { issuer: base, url: `${base}/introspect`, answers: new Map(), raw: undefined, held: undefined, calls, stop }
  return endpoint
}

export const GATEWAY_CLIENT = { id: 'gateway', secret: 'gateway-introspection-secret' }

/**
 * A config with one introspection authenticator, `as`, at `endpoint` unless `spec` says
 * otherwise; `top` is more top-level YAML. Its timeout is 30 s, not 2 s: on a loaded machine a
 * process's first call can take seconds, and only the timeout test means to hit it.
 */
export function introspectionYaml (endpoint: IntrospectionEndpoint, spec: Record<string, unknown> = {}, top = ''): string {
  const as = { type: 'introspection', endpoint: endpoint.url, clientId: GATEWAY_CLIENT.id, clientSecret: GATEWAY_CLIENT.secret, timeout: '30s', ...spec }
  return `${top}authenticators:
  as: ${JSON.stringify(as)}
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: app, user: [as], policy: user }
`
}
