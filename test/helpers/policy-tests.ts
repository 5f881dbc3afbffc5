import { spawn } from 'node:child_process'
import { CLI, nodeCommand } from './paths.js'

/** Runs `gatehouse test ARGS` in `cwd` and collects its exit code and output. */
export async function gatehouseTest (
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {}
): Promise<{ status: number | null, stdout: string, stderr: string }> {
  const child = spawn(...nodeCommand([CLI, 'test', ...args]), { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const status = await new Promise<number | null>(resolve => child.once('close', resolve))
  return { status, stdout, stderr }
}

/** A config with every credential kind a case can name: an API key client, a JWT and an introspection authenticator. */
export const CONFIG = `upstreams:
  orders: { url: "http://127.0.0.1:9" }
clients:
  - id: android
    apiKeys: [{ hash: "sha256:${'0'.repeat(64)}" }]
    scopes: [orders:read]
    userTokenClients: [android-id]
authenticators:
  appKey: { type: apiKey }
  idp: { type: jwt, issuer: "https://idp.example/", audience: orders-api, jwksUri: "https://idp.example/jwks.json" }
  oauth: { type: introspection, endpoint: "https://as.example/introspect", clientId: gw, clientSecret: s }
routes:
  - match: /api/catalog/*
    upstream: orders
    policy: { GET: public, "*": client }
    client: [appKey]
  - match: /api/orders/*
    upstream: orders
    policy: client+user
    client: [appKey]
    user: [idp, oauth]
    scopes: [orders:read]
    bindUserToClient: true
`
