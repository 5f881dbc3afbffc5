import { PassThrough, Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { tokensCommand } from '../../cli/tokens.js'
import { clientsYaml } from './gateway.js'

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef'

/** `gatehouse tokens ARGS`, in-process: exit code and what it wrote. */
export async function runTokens (args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number, out: string, err: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const code = await tokensCommand(args, { stdin: Readable.from(['']), stdout, stderr, env })
  stdout.end()
  stderr.end()
  return { code, out: await text(stdout), err: await text(stderr) }
}

/** The token a `tokens new` printed. */
export function printedToken (out: string): string {
  const m = /^token: +(\S+)$/m.exec(out)
  if (m === null) throw new Error(`no token in: ${out}`)
  return m[1] as string
}

/** The id a `tokens new` printed. */
export function printedId (out: string): string {
  const m = /^id: +(\S+)$/m.exec(out)
  if (m === null) throw new Error(`no id in: ${out}`)
  return m[1] as string
}

/**
 * A gateway with a userToken authenticator over `redis`: /api/me/* for users, /api/orders/*
 * wanting orders:read, /api/bound/* binding the user token to the calling client (appKey).
 * `authenticator`: more lines of the userToken stanza, indented four spaces.
 */
export function userTokenYaml (upstream: string, redis: string | undefined, options: { authenticator?: string, server?: string } = {}): string {
  return `server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  adminToken: ${ADMIN_TOKEN}
${options.server ?? ''}${redis === undefined ? '' : `cache:\n  redis: ${redis}\n`}${clientsYaml()}authenticators:
  appKey: { type: apiKey }
  personal:
    type: userToken
${options.authenticator ?? ''}upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /api/me/*
    upstream: web
    policy: user
    user: [personal]
  - match: /api/orders/*
    upstream: web
    policy: user
    user: [personal]
    scopes: [orders:read]
  - match: /api/bound/*
    upstream: web
    policy: client+user
    client: [appKey]
    user: [personal]
    bindUserToClient: true
`
}
