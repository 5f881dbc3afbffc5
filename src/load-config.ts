import { readFile } from 'node:fs/promises'
import { createPrivateKey } from 'node:crypto'
import { resolve } from 'node:path'
import { LineCounter, parseDocument } from 'yaml'
import type { GatewayConfig } from './config/types.js'
import { ConfigError, Issues, parseConfig } from './config/load.js'
import { jwtOptions } from './config/jwt-options.js'

export interface KeyFileProblem {
  /** The key path of the setting that names the file. */
  path: Array<string | number>
  message: string
}

const inline = (value: string): boolean => value.trimStart().startsWith('-----') || value.trimStart().startsWith('{')

/** The error of `load`, as said about `file`: its code (ENOENT) when it could not be read. */
async function problemOf (path: KeyFileProblem['path'], file: string, load: () => Promise<unknown>): Promise<KeyFileProblem[]> {
  try {
    await load()
    return []
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException
    // The loaders name the setting themselves; the problem is located at it already.
    const said = message.replace(/^(publicKey|tokens\.signingKeys \S+): /, '')
    return [
      { path, message: `${inline(file) ? 'the inline key' : file}: ${typeof code === 'string' && code.startsWith('E') ? `cannot read it (${code})` : said}` }
    ]
  }
}

/**
 * Loads every key and users file the config names, as the gateway does when it starts, so that
 * `gatehouse check` (and a reload) refuse what `start` would: a missing file, a private key given
 * as `publicKey`, a JWKS that is not one. Each loader is imported only for a config that names
 * such a file: a config without one checks without loading jose or the OIDC client.
 */
export async function keyFileProblems (config: GatewayConfig): Promise<KeyFileProblem[]> {
  const checks: Array<Promise<KeyFileProblem[]>> = []
  for (const a of config.authenticators.values()) {
    const at = (key: string): KeyFileProblem['path'] => ['authenticators', a.name, key]
    if (a.type === 'jwt') {
      const spec = a.spec as { publicKey?: string }
      const key = spec.publicKey
      if (key !== undefined && key !== '') {
        checks.push(
          problemOf(at('publicKey'), key, async () => await (await import('./auth/jwt-keys.js')).publicKeySource(key, jwtOptions(a.spec as never).algorithms))
        )
      }
    }
    if (a.type === 'basic') {
      const file = (a.spec as { usersFile: string }).usersFile
      checks.push(problemOf(at('usersFile'), file, async () => (await import('./auth/basic.js')).parseUsersFile(await readFile(file, 'utf8'), file)))
    }
    if (a.type === 'oidc') {
      const spec = a.spec as { clientId: string, privateKey?: string }
      const key = spec.privateKey
      if (key !== undefined && key !== '') {
        checks.push(problemOf(at('privateKey'), key, async () => (await import('./auth/oidc/client-auth.js')).clientAuth({ privateKey: key })))
      }
    }
  }
  const signing = config.tokens.signingKeys
  if (signing !== undefined) {
    checks.push(problemOf(['tokens', 'signingKeys'], signing, async () => await (await import('./tokens/signing-keys.js')).loadSigningKeys(signing, undefined)))
  }
  const tls = config.server.tls
  if (tls !== undefined) {
    checks.push(problemOf(['server', 'tls', 'cert'], tls.cert, async () => await readFile(tls.cert)))
    checks.push(problemOf(['server', 'tls', 'key'], tls.key, async () => createPrivateKey(await readFile(tls.key))))
    const ca = tls.clientCa
    if (ca !== undefined) checks.push(problemOf(['server', 'tls', 'clientCa'], ca, async () => await readFile(ca)))
  }
  return (await Promise.all(checks)).flat()
}

/** A config file, parsed and checked, with every key and users file it names loaded as `start` loads them. */
export async function loadConfig (file: string, env: NodeJS.ProcessEnv = process.env): Promise<GatewayConfig> {
  const path = resolve(file)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigError(
      [{ file: path, line: 1, col: 1, path: '', message: `cannot read the config: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }],
      { cause: err }
    )
  }
  const config = parseConfig(text, path, env)
  const problems = await keyFileProblems(config)
  if (problems.length > 0) {
    const lines = new LineCounter()
    const issues = new Issues(path, parseDocument(text, { lineCounter: lines }), lines)
    for (const p of problems) issues.add(p.path, p.message)
    throw new ConfigError(issues.list)
  }
  return config
}
