/**
 * The gatehouse the benches run: its config (one route per route kind, the RS256 route the C
 * peers are compared on) and the built CLI started as its own process.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DIST, freePort, START_FLAGS, startProc, waitForHttp, type Proc } from './procs.js'
import { benchOidcYaml } from './session.js'
import { JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET } from './tokens.js'

export interface GatewayOptions {
  logLevel: string
  redis?: string
  workers?: 'auto'
  /** The decision API on its own listener, behind a token, its allows reusable for `cacheTtl`. */
  decisions?: { port: number, token: string, cacheTtl: string }
}

export function gatewayYaml (upstream: string, asUrl: string, keyHash: string, rsaPublicKey: string, options: GatewayOptions): string {
  const { redis, workers, decisions } = options
  const server = [
    'listen: 127.0.0.1:0', 'admin: false', `logLevel: ${options.logLevel}`,
    ...workers === undefined ? [] : [`workers: ${workers}`],
    ...decisions === undefined
      ? []
      : [`decisions: 127.0.0.1:${decisions.port}`, `decisionsToken: ${decisions.token}`, `decisionsCacheTtl: ${decisions.cacheTtl}`]
  ]
  return `server: { ${server.join(', ')} }
${redis === undefined ? '' : `cache: { redis: "${redis}" }\n`}clients:
  - id: bench
    apiKeys: [{ hash: "${keyHash}" }]
    scopes: [orders:read, orders:write]
authenticators:
  appKey: { type: apiKey, header: X-API-Key }
  idp: { type: jwt, issuer: "${JWT_ISSUER}", audience: ${JWT_AUDIENCE}, secret: "${JWT_SECRET}", algorithms: [HS256] }
  idpRs: { type: jwt, issuer: "${JWT_ISSUER}", audience: ${JWT_AUDIENCE}, publicKey: "${rsaPublicKey}", algorithms: [RS256] }
  oauth: { type: introspection, endpoint: "${asUrl}/introspect", clientId: gateway, clientSecret: bench-secret, cacheTtl: 5m }
${redis === undefined ? '' : `${benchOidcYaml()}  personal: { type: userToken }\n`}upstreams:
  up: { url: "${upstream}" }
routes:
  - { match: /public/*, upstream: up, policy: public }
  - { match: /key/*, upstream: up, policy: client, client: [appKey] }
  - { match: /jwt/*, upstream: up, policy: user, user: [idp] }
  - { match: /rs256/*, upstream: up, policy: user, user: [idpRs] }
  - { match: /opaque/*, upstream: up, policy: user, user: [oauth] }
${redis === undefined ? '' : '  - { match: /token/*, upstream: up, policy: user, user: [personal] }\n'}  - match: /limited/*
    upstream: up
    policy: client+user
    client: [appKey]
    user: [idp]
    scopes: [orders:read]
    rateLimit: { max: 1000000000, window: 1h, by: client+user }
${redis === undefined ? '' : '  - { match: /session/*, upstream: up, policy: user, user: [browser] }\n'}`
}

/** The built CLI (`dist` of this build or another) with `yaml` on a free port, once it answers. */
export async function startGatehouse (
  dir: string,
  name: string,
  yaml: string,
  nodeArgs: string[] = [],
  dist = DIST
): Promise<{ proc: Proc, url: string, file: string }> {
  const port = await freePort()
  const file = join(dir, `${name}.yaml`)
  writeFileSync(file, yaml.replace('listen: 127.0.0.1:0', `listen: 127.0.0.1:${port}`))
  // The bundle users run; a build from before it (`--compare`) has only the compiled CLI.
  const cli = existsSync(join(dist, 'bundle/main.js')) ? join(dist, 'bundle/main.js') : join(dist, 'cli/main.js')
  const proc = startProc(name, process.execPath, [...START_FLAGS, ...nodeArgs, cli, 'start', '-c', file])
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/public/ping`, {}, proc)
  return { proc, url, file }
}
