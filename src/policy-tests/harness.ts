import { createHash, randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import { http } from '../node-http.js'
import type { AddressInfo } from 'node:net'
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
import type { AuthenticatorConfig, ClientRecord, GatewayConfig } from '../config/types.js'
import { hashApiKey } from '../auth/api-key.js'
import { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS } from '../config/jwt-options.js'
import type { TlsFacts } from '../decision/request.js'
import type { Gateway } from '../gateway.js'
import type { Clock } from '../clock.js'
import type { OidcAuthenticator } from '../auth/oidc/oidc-authenticator.js'
import { buildRouteTable, type RouteTable } from '../routing/route-table.js'
import type { ClientCredential, PolicyCase, UserCredential } from './case-file.js'

/** Algorithms a test key can be made for, in the order one is picked from an authenticator's allow-list. */
const MINTABLE = ['ES256', 'RS256', 'PS256', 'ES384', 'ES512', 'RS384', 'RS512', 'PS384', 'PS512', 'EdDSA', 'HS256', 'HS384', 'HS512']

interface JwtMinter {
  alg: string
  key: CryptoKey | Uint8Array
  issuer: string
  audience: string | undefined
}

/** A case's credential that cannot be made from the config (an unknown client, a jwt authenticator that is not one). */
export class CaseSetupError extends Error {}

/**
 * Everything `gatehouse test` substitutes so that cases need no network and no secret: each
 * client named by a case gets a test API key, each jwt authenticator a test signing key
 * (its JWKS, PEM or secret replaced), each userToken authenticator the cases' tokens, each
 * introspection authenticator an endpoint on loopback that answers what the cases declare.
 * Redis and span export are off. Only the test command builds one; `start` never does.
 */
export interface Harness {
  config: GatewayConfig
  /** The header lines and TLS facts that carry a case's client and user. */
  credentials (c: PolicyCase, gateway: Gateway, secure: boolean): Promise<{ headers: string[], tls: TlsFacts | undefined }>
  close (): Promise<void>
}

function mustBe <T extends AuthenticatorConfig['type']> (config: GatewayConfig, name: string, type: T, caseName: string): AuthenticatorConfig<T> {
  const a = config.authenticators.get(name)
  if (a === undefined) throw new CaseSetupError(`case "${caseName}": no authenticator "${name}" in the config`)
  if (a.type !== type) throw new CaseSetupError(`case "${caseName}": authenticator "${name}" is a ${a.type} authenticator, not ${type}`)
  return a as AuthenticatorConfig<T>
}

function clientOf (config: GatewayConfig, id: string, caseName: string): ClientRecord {
  const c = config.clients.get(id)
  if (c === undefined) throw new CaseSetupError(`case "${caseName}": no client "${id}" in the config`)
  return c
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

async function jwtMinter (a: AuthenticatorConfig<'jwt'>): Promise<{ minter: JwtMinter, spec: AuthenticatorConfig<'jwt'>['spec'] }> {
  const spec = a.spec
  const allowed: readonly string[] = spec.algorithms ?? (spec.secret !== undefined && spec.secret !== '' ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS)
  const alg = MINTABLE.find(m => allowed.includes(m))
  if (alg === undefined) throw new CaseSetupError(`authenticator "${a.name}": none of its algorithms (${allowed.join(', ')}) can be minted for a test`)
  const audience = Array.isArray(spec.audience) ? spec.audience[0] : typeof spec.audience === 'string' ? spec.audience : undefined
  if (alg.startsWith('HS')) {
    const secret = randomBytes(64).toString('base64url')
    return {
      minter: { alg, key: new TextEncoder().encode(secret), issuer: spec.issuer, audience },
      spec: { ...spec, jwksUri: undefined, publicKey: undefined, secret }
    }
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return {
    minter: { alg, key: privateKey, issuer: spec.issuer, audience },
    spec: { ...spec, jwksUri: undefined, secret: undefined, publicKey: await exportSPKI(publicKey) }
  }
}

interface Introspected { active: boolean, body: Record<string, unknown> }

/** The cases' introspection answers, served on loopback for every introspection authenticator. */
async function introspectionStub (answers: Map<string, Introspected>): Promise<{ server: Server, url: string }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('token') ?? ''
      const found = answers.get(token)
      const body = JSON.stringify(found === undefined ? { active: false } : { ...found.body, active: found.active })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

function subjectOf (dn: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of dn.split(/\s*,\s*/)) {
    const i = part.indexOf('=')
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim()
  }
  return out
}

function fingerprintOf (value: string): string {
  return (value.replace(/^sha256:/i, '').replace(/:/g, '').toUpperCase().match(/../g) ?? []).join(':')
}

/** The first authenticator of `type` a route lists (or the config has), for a credential a case names by client. */
function readerOf (config: GatewayConfig, type: 'apiKey' | 'clientToken', route: string[] | undefined): AuthenticatorConfig | undefined {
  const names = [...(route ?? []), ...config.authenticators.keys()]
  for (const n of names) {
    const a = config.authenticators.get(n)
    if (a?.type === type) return a
  }
  return undefined
}

/** The client authenticators of the route a case's request goes to, as the listener routes it. */
function routeClients (gateway: Gateway, c: PolicyCase): string[] | undefined {
  let table = tables.get(gateway)
  if (table === undefined) {
    table = buildRouteTable(gateway.routes, gateway.config.server.routing)
    tables.set(gateway, table)
  }
  const hit = table.find(c.request.method, c.request.path)
  return hit?.kind === 'route' ? gateway.routes.find(r => r.index === hit.index)?.client : undefined
}

const tables = new WeakMap<Gateway, RouteTable>()

export async function prepareHarness (config: GatewayConfig, cases: readonly PolicyCase[], clock: Clock): Promise<Harness> {
  const clients = new Map([...config.clients].map(([id, c]) => [id, { ...c, apiKeys: [...c.apiKeys] }]))
  const authenticators = new Map(config.authenticators)
  const apiKeys = new Map<string, string>()
  const userTokens = new Map<string, string>()
  const minters = new Map<string, JwtMinter>()
  const answers = new Map<string, Introspected>()
  const introspectionTokens = new Map<PolicyCase, string>()

  for (const c of cases) {
    const client = c.request.client
    if (client !== undefined && 'apiKey' in client && !apiKeys.has(client.apiKey)) {
      const record = clients.get(client.apiKey)
      if (record === undefined) throw new CaseSetupError(`case "${c.name}": no client "${client.apiKey}" in the config`)
      const key = `gh_test_${randomBytes(24).toString('base64url')}`
      record.apiKeys.push({ hash: hashApiKey(key), expiresAt: null })
      apiKeys.set(client.apiKey, key)
    }
    const user = c.request.user
    if (user !== undefined && 'userToken' in user) {
      const a = mustBe(config, user.userToken, 'userToken', c.name)
      const token = randomBytes(20).toString('hex')
      const spec = (authenticators.get(a.name) as AuthenticatorConfig<'userToken'>).spec
      authenticators.set(a.name, {
        ...a,
        spec: { ...spec, tokens: [...(spec.tokens ?? []), { hash: `sha256:${sha256(token)}`, user: user.user, scopes: user.scopes, client: user.client }] }
      })
      userTokens.set(`${c.name}\0${a.name}`, token)
    }
    if (user !== undefined && 'introspection' in user) {
      mustBe(config, user.introspection, 'introspection', c.name)
      const token = `gh_test_opaque_${randomBytes(16).toString('base64url')}`
      answers.set(token, {
        active: user.active ?? true,
        body: {
          ...user.claims,
          sub: user.sub,
          ...(user.scopes === undefined ? {} : { scope: user.scopes.join(' ') }),
          exp: Math.floor(clock() / 1000) + 3600
        }
      })
      introspectionTokens.set(c, token)
    }
    if (user !== undefined && 'jwt' in user) mustBe(config, user.jwt, 'jwt', c.name)
    if (user !== undefined && 'session' in user) mustBe(config, user.session, 'oidc', c.name)
  }

  // Every jwt authenticator gets a test key, named by a case or not: nothing is fetched from an IdP.
  for (const a of config.authenticators.values()) {
    if (a.type !== 'jwt') continue
    const { minter, spec } = await jwtMinter(a as AuthenticatorConfig<'jwt'>)
    minters.set(a.name, minter)
    authenticators.set(a.name, { ...a, spec } as AuthenticatorConfig)
  }
  let stub: { server: Server, url: string } | undefined
  for (const a of config.authenticators.values()) {
    if (a.type !== 'introspection') continue
    stub ??= await introspectionStub(answers)
    const spec = (a as AuthenticatorConfig<'introspection'>).spec
    authenticators.set(a.name, { ...a, spec: { ...spec, endpoint: `${stub.url}/${encodeURIComponent(a.name)}`, cacheTtl: '0s' } } as AuthenticatorConfig)
  }

  const tested: GatewayConfig = {
    ...config,
    clients,
    authenticators,
    cache: { ...config.cache, redis: undefined },
    telemetry: undefined
  }

  async function userHeaders (c: PolicyCase, user: UserCredential, gateway: Gateway, secure: boolean): Promise<string[]> {
    if ('session' in user) {
      // A browser session made as a login would make it, in the test's own in-process store.
      const a = gateway.authenticators.get(user.session) as OidcAuthenticator
      return ['Cookie', await a.testSession(user.user, { ...user.claims, sub: user.user }, user.scopes ?? [], secure)]
    }
    if ('jwt' in user) {
      const m = minters.get(user.jwt) as JwtMinter
      const now = Math.floor(gateway.clock() / 1000)
      const ttl = Math.max(1, Math.floor((user.expiresIn ?? 600_000) / 1000))
      let jwt = new SignJWT({
        ...user.claims,
        ...(user.scopes === undefined ? {} : { scope: user.scopes.join(' ') }),
        ...(user.azp === undefined ? {} : { azp: user.azp })
      })
        .setProtectedHeader({ alg: m.alg, typ: 'JWT' })
        .setIssuer(m.issuer)
        .setSubject(user.sub)
        .setIssuedAt(now)
        .setExpirationTime(now + ttl)
      if (m.audience !== undefined) jwt = jwt.setAudience(m.audience)
      return ['Authorization', `Bearer ${await jwt.sign(m.key)}`]
    }
    if ('userToken' in user) {
      const spec = (gateway.config.authenticators.get(user.userToken) as AuthenticatorConfig<'userToken'>).spec as { header?: string, scheme?: string }
      const token = userTokens.get(`${c.name}\0${user.userToken}`) as string
      return spec.header !== undefined ? [spec.header, token] : ['Authorization', `${spec.scheme ?? 'Token'} ${token}`]
    }
    return ['Authorization', `Bearer ${introspectionTokens.get(c) as string}`]
  }

  async function clientHeaders (c: PolicyCase, client: ClientCredential, gateway: Gateway): Promise<{ headers: string[], tls: TlsFacts | undefined }> {
    const route = routeClients(gateway, c)
    if ('apiKey' in client) {
      const reader = readerOf(gateway.config, 'apiKey', route)
      if (reader === undefined) throw new CaseSetupError(`case "${c.name}": the config has no apiKey authenticator`)
      const spec = reader.spec as { header?: string, query?: string }
      return { headers: [spec.header ?? 'X-API-Key', apiKeys.get(client.apiKey) as string], tls: undefined }
    }
    if ('clientToken' in client) {
      const record = clientOf(gateway.config, client.clientToken, c.name)
      const reader = readerOf(gateway.config, 'clientToken', route)
      if (reader === undefined) throw new CaseSetupError(`case "${c.name}": the config has no clientToken authenticator`)
      const { token } = await gateway.tokens.issueClientToken(record.id, client.scopes ?? record.scopes)
      return { headers: [(reader.spec as { header?: string }).header ?? 'X-Client-Token', token], tls: undefined }
    }
    const record = clientOf(gateway.config, client.certificate, c.name)
    const cert = record.certificate
    if (cert === undefined) throw new CaseSetupError(`case "${c.name}": client "${record.id}" has no certificate in the config`)
    return {
      headers: [],
      tls: {
        encrypted: true,
        authorized: true,
        certificate: {
          subject: subjectOf(cert.subject ?? 'CN=gatehouse-test'),
          fingerprint256: fingerprintOf(cert.fingerprint ?? sha256(record.id)),
          authorized: true
        }
      }
    }
  }

  return {
    config: tested,
    async credentials (c, gateway, secure) {
      const out: string[] = []
      let tls: TlsFacts | undefined
      if (c.request.client !== undefined) {
        const made = await clientHeaders(c, c.request.client, gateway)
        out.push(...made.headers)
        tls = made.tls
      }
      if (c.request.user !== undefined) out.push(...await userHeaders(c, c.request.user, gateway, secure || tls?.encrypted === true))
      return { headers: out, tls }
    },
    async close () {
      if (stub === undefined) return
      stub.server.closeAllConnections()
      await new Promise<void>(resolve => stub?.server.close(() => resolve()))
    }
  }
}
