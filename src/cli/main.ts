#!/usr/bin/env node
import { parseArgs } from 'node:util'
import closeWithGrace from 'close-with-grace'
import { ConfigError, formatIssue, loadConfig } from '../config/load.js'
import { startGateway } from '../../plugins/server.js'
import { newApiKey } from './keys.js'
import { loadSigningKeys } from '../tokens/signing-keys.js'
import { hashSecretText, newClientText, newSigningKeyText } from './clients.js'
import { cachePurge } from './cache-purge.js'

/** How long SIGTERM waits for in-flight requests before closing what is left. */
const DRAIN_MS = Number(process.env.GATEHOUSE_DRAIN_MS ?? 10_000)

const USAGE = `usage: gatehouse <command>

  start [-c gateway.config.yaml]   run the gateway
  check [-c gateway.config.yaml]   validate the config; exit 1 with file:line:col errors
  keys new                         print a new API key and its sha256: hash
  clients new ID [--scopes a,b]    print a new API key, client secret and the config stanza with their hashes
  signing-key new                  print a JWKS with a new private Ed25519 signing key
  hash-secret                      read a client secret on stdin, print its hash for secretHash
  cache purge --token T [-c file]  forget a token in Redis and every instance's local tier
                                   (--token - reads it from stdin)
`

function configFile (args: string[]): string {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false })
  return values.config ?? process.env.GATEHOUSE_CONFIG ?? 'gateway.config.yaml'
}

function reportConfigError (err: unknown): number {
  if (err instanceof ConfigError) {
    for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`)
    return 1
  }
  throw err
}

async function check (args: string[]): Promise<number> {
  try {
    const config = await loadConfig(configFile(args))
    if (config.tokens.signingKeys !== undefined) await loadSigningKeys(config.tokens.signingKeys, undefined)
    process.stdout.write(`${config.file}: ok (${config.routes.length} routes, ${config.clients.size} clients, ${config.authenticators.size} authenticators, ${config.upstreams.size} upstreams)\n`)
    return 0
  } catch (err) {
    return reportConfigError(err)
  }
}

async function start (args: string[]): Promise<number> {
  let running
  try {
    running = await startGateway(configFile(args))
  } catch (err) {
    return reportConfigError(err)
  }
  const gw = running
  process.on('SIGHUP', () => { void gw.reload() })
  closeWithGrace({ delay: DRAIN_MS + 2000, skip: ['SIGHUP'] }, async ({ signal, err }) => {
    if (err !== undefined) gw.gateway.logger.error({ err }, 'stopping after an error')
    else gw.gateway.logger.info({ signal }, 'stopping: draining in-flight requests')
    await gw.close(DRAIN_MS)
  })
  return -1
}

async function main (argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'start': return await start(rest)
    case 'check': return await check(rest)
    case 'keys':
      if (rest[0] === 'new') {
        const { key, hash } = newApiKey()
        process.stdout.write(`key:  ${key}\nhash: ${hash}\n`)
        return 0
      }
      break
    case 'clients':
      if (rest[0] === 'new') {
        const { values, positionals } = parseArgs({ args: rest.slice(1), options: { scopes: { type: 'string' } }, allowPositionals: true })
        if (positionals.length !== 1) break
        const scopes = (values.scopes ?? '').split(/[,\s]+/).filter(s => s !== '')
        process.stdout.write(await newClientText(positionals[0] as string, scopes))
        return 0
      }
      break
    case 'signing-key':
      if (rest[0] === 'new') {
        process.stdout.write(await newSigningKeyText())
        return 0
      }
      break
    case 'hash-secret': {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      process.stdout.write(await hashSecretText(Buffer.concat(chunks).toString('utf8')))
      return 0
    }
    case 'cache':
      if (rest[0] === 'purge') {
        try {
          return await cachePurge(rest.slice(1), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
        } catch (err) {
          return reportConfigError(err)
        }
      }
      break
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE)
      return command === undefined ? 1 : 0
  }
  process.stderr.write(`gatehouse: unknown command "${argv.join(' ')}"\n${USAGE}`)
  return 1
}

main(process.argv.slice(2)).then(code => {
  if (code >= 0) process.exitCode = code
}, (err: unknown) => {
  process.stderr.write(`gatehouse: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
