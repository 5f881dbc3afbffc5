import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { parse as parseYaml } from 'yaml'
import { hashApiKey } from '../../src/auth/api-key.js'
import { createLogger } from '../../src/logger.js'
import { startGateway, type RunningGateway } from '../../runtime/server.js'
import type { Clock } from '../../src/clock.js'

interface Teardown { teardown (fn: () => unknown): void }

export interface TestGateway extends RunningGateway {
  /** Every log line the gateway wrote, parsed. */
  logs: Array<Record<string, unknown>>
  /** The raw log text, to assert that no secret was written. */
  logText (): string
}

/** Fixed test API keys; configs use `${KEY_HASH_<NAME>}` or keyHash(). */
export const KEYS = {
  android: 'gh_test-android-key-0000000000000000000000000',
  ios: 'gh_test-ios-key-000000000000000000000000000000',
  expired: 'gh_test-expired-key-00000000000000000000000000',
  disabled: 'gh_test-disabled-client-key-000000000000000000'
} as const

export function keyHash (key: string): string {
  return `sha256:${hashApiKey(key)}`
}

/** A temp dir with the given files, removed when the test ends. */
export function tempDir (t: Teardown, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Starts the real gateway (public and admin listeners on free ports) from a YAML text,
 * logging to memory; closed when the test ends.
 */
export interface TestGatewayOptions {
  env?: NodeJS.ProcessEnv
  /** Files written next to the config (keys, users files…). */
  files?: Record<string, string>
  /** What the gateway measures TTLs, cooldowns and expiries with (helpers/clock.ts). */
  clock?: Clock
}

export async function startTestGateway (t: Teardown, yaml: string, options: TestGatewayOptions = {}): Promise<TestGateway> {
  // Without it the admin listener takes the default 127.0.0.1:9090, which a demo, Prometheus or
  // another test may hold: EADDRINUSE on one machine, a pass on the next.
  if ((parseYaml(yaml) as { server?: { admin?: unknown } } | null)?.server?.admin === undefined) {
    throw new Error('a test config sets server.admin (127.0.0.1:0, or false): the default port 9090 may be taken')
  }
  const dir = tempDir(t, { ...options.files, 'gateway.config.yaml': yaml })
  let text = ''
  const logs: Array<Record<string, unknown>> = []
  const sink = new Writable({
    write (chunk: Buffer, _enc, cb) {
      const s = chunk.toString()
      text += s
      for (const line of s.split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>)
      cb()
    }
  })
  const logger = createLogger('info', [], sink)
  const running = await startGateway(join(dir, 'gateway.config.yaml'), { logger, env: { ...process.env, ...options.env }, clock: options.clock })
  t.teardown(() => running.close())
  return { ...running, logs, logText: () => text }
}

/** The server block every test config starts with: both listeners on free ports. */
export const TEST_SERVER = `server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
`

/** The smallest config: one public route to one upstream; `server` is the whole `server:` section. */
export function publicRouteYaml (upstreamUrl: string, match = '/api/*', server = TEST_SERVER): string {
  return `${server}
upstreams:
  web: { url: "${upstreamUrl}" }
routes:
  - match: ${match}
    upstream: web
    policy: public
`
}

/** The upstreams and routes of a config: /api/orders/* to `upstream`, policy user, accepting `user` (an authenticator's name). */
export function ordersRoute (upstream: string, user: string): string {
  return `upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/orders/*
    upstream: orders
    policy: user
    user: [${user}]
`
}

/** Four clients covering the key states: valid (android, ios), an expired key, a disabled client. */
export function clientsYaml (): string {
  return `clients:
  - id: android
    apiKeys: [{ hash: "${keyHash(KEYS.android)}", expires: 2999-12-31 }]
    scopes: [orders:read]
  - id: ios
    apiKeys: [{ hash: "${keyHash(KEYS.ios)}" }]
  - id: old-partner
    apiKeys: [{ hash: "${keyHash(KEYS.expired)}", expires: 2020-01-01 }]
  - id: banned
    apiKeys: [{ hash: "${keyHash(KEYS.disabled)}" }]
    disabled: true
`
}
