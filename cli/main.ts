#!/usr/bin/env node
import cluster from 'node:cluster'
import { parseArgs } from 'node:util'
import { isAbsolute, relative } from 'node:path'
import closeWithGrace from 'close-with-grace'
import { ConfigError, formatIssue, formatWarning, loadConfig } from '../src/config/load.js'
import { startFromConfig, startGateway, type RunningGateway } from '../runtime/server.js'
import type { GatewayConfig } from '../src/config/types.js'
import { createLogger } from '../src/logger.js'
import { ephemeralKeyFromPrimary, runPrimary, workerCount, workerReady } from '../runtime/cluster.js'
import { newApiKey } from './keys.js'
import { adoptEphemeralKey, loadSigningKeys } from '../src/tokens/signing-keys.js'
import { hashSecretText, newClientText, newSigningKeyText } from './clients.js'
import { cachePurge } from './cache-purge.js'
import { sessionsRevoke } from './sessions.js'
import { TOKENS_USAGE, tokensCommand } from './tokens.js'
import { tuneHeapGrowth } from '../runtime/heap.js'
import { explainCommand } from './explain.js'
import { testCommand } from './test.js'

const USAGE = `usage: gatehouse <command>

  start [-c gateway.config.yaml]   run the gateway
  check [-c gateway.config.yaml] [--strict]
                                   validate the config; exit 1 with file:line:col errors;
                                   warnings print too (exit 0, or 1 with --strict)
  explain [-c file] [--json] [--ip ADDR] METHOD PATH [-H 'Name: value']...
                                   what the gateway does with that request: route, policy,
                                   authenticators, checks, headers; with credentials, the
                                   real allow or deny (exit 0 allowed, 2 refused)
  test [-c file] CASES.yaml... [--against OLD.yaml] [--json] [--junit FILE]
                                   run policy test cases through the real decision (exit 0
                                   all passed, 1 a case failed, 2 a config or case file error,
                                   3 passed but --against found a newly allowed request)
  test --init [-c file] [FILE]     write a starter case file from the config
  keys new                         print a new API key and its sha256: hash
  clients new ID [--scopes a,b]    print a new API key, client secret and the config stanza with their hashes
  signing-key new                  print a JWKS with a new private Ed25519 signing key
  hash-secret                      read a client secret on stdin, print its hash for secretHash
  cache purge --token T [-c file]  forget a token in Redis and every instance's local tier
                                   (--token - reads it from stdin)
  sessions revoke --user U [-c file]
                                   end every browser (oidc) session of a user, on every instance
${TOKENS_USAGE}`

function configFile (args: string[]): string {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false })
  return values.config ?? process.env.GATEHOUSE_CONFIG ?? 'gateway.config.yaml'
}

/** A config path as the operator typed it: relative to the working directory, unless it lies outside it. */
function shown (file: string): string {
  const rel = relative(process.cwd(), file)
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel
}

function reportConfigError (err: unknown): number {
  if (err instanceof ConfigError) {
    for (const issue of err.issues) process.stderr.write(`${formatIssue({ ...issue, file: shown(issue.file) })}\n`)
    return 1
  }
  throw err
}

async function check (args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, strict: { type: 'boolean' } }, allowPositionals: false })
  try {
    const config = await loadConfig(values.config ?? process.env.GATEHOUSE_CONFIG ?? 'gateway.config.yaml')
    if (config.tokens.signingKeys !== undefined) await loadSigningKeys(config.tokens.signingKeys, undefined)
    for (const w of config.warnings) process.stderr.write(`${formatWarning({ ...w, file: shown(w.file) })}\n`)
    const warnings = config.warnings.filter(w => w.level === 'warning').length
    const hints = config.warnings.length - warnings
    const noted = [warnings > 0 ? `${warnings} warning${warnings === 1 ? '' : 's'}` : '', hints > 0 ? `${hints} hint${hints === 1 ? '' : 's'}` : ''].filter(s => s !== '')
    process.stdout.write(`${shown(config.file)}: ok (${config.routes.length} routes, ${config.clients.size} clients, ${config.authenticators.size} authenticators, ${config.upstreams.size} upstreams)${noted.length === 0 ? '' : `, ${noted.join(', ')}`}\n`)
    // --strict fails on warnings; hints never fail a check.
    return values.strict === true && warnings > 0 ? 1 : 0
  } catch (err) {
    return reportConfigError(err)
  }
}

async function start (args: string[]): Promise<number> {
  const file = configFile(args)
  if (cluster.isWorker) return await serve(file, true)
  let config
  try {
    // Checked once here, so a bad file fails before any worker is forked.
    config = await loadConfig(file)
    if (config.tokens.signingKeys !== undefined) await loadSigningKeys(config.tokens.signingKeys, undefined)
  } catch (err) {
    return reportConfigError(err)
  }
  const workers = workerCount(config.server.workers)
  if (workers === 1) return await serve(config, false)
  const logger = createLogger(config.server.logLevel)
  if (config.cache.redis === undefined) logger.warn({ workers }, 'cache.redis is not set: each worker keeps its own rate-limit counters, cache, revocations and purges')
  await runPrimary({ workers, logger, stopTimeoutMs: config.server.drainTimeoutMs + 5000 })
  return -1
}

/** The gateway itself, in a single process or in one cluster worker. */
async function serve (source: string | GatewayConfig, isWorker: boolean): Promise<number> {
  try {
    tuneHeapGrowth()
  } catch (err) {
    process.stderr.write(`gatehouse: ${(err as Error).message}\n`)
    if (isWorker) process.exit(1)
    return 1
  }
  let gw: RunningGateway
  try {
    if (isWorker) adoptEphemeralKey(await ephemeralKeyFromPrimary())
    gw = typeof source === 'string' ? await startGateway(source) : await startFromConfig(source)
  } catch (err) {
    if (!isWorker) return reportConfigError(err)
    const message = err instanceof ConfigError ? err.issues.map(formatIssue).join('\n') : err instanceof Error ? err.message : String(err)
    process.stderr.write(`gatehouse worker ${process.pid}: ${message}\n`)
    // Exit rather than linger on the IPC channel: the primary replaces the worker.
    process.exit(1)
  }
  process.on('SIGHUP', () => { void gw.reload() })
  // `server.drainTimeout` as the process started: SIGTERM lets in-flight requests finish that long, then cuts what is left.
  const drainMs = gw.gateway.config.server.drainTimeoutMs
  const grace = closeWithGrace({ delay: drainMs + 2000, skip: isWorker ? ['SIGHUP', 'SIGINT', 'SIGTERM'] : ['SIGHUP'] }, async ({ signal, err }) => {
    if (err !== undefined) gw.gateway.logger.error({ err }, 'stopping after an error')
    else gw.gateway.logger.info({ signal: signal ?? 'SIGTERM' }, 'stopping: draining in-flight requests')
    await gw.close(drainMs)
  })
  if (isWorker) {
    // A SIGTERM sent to the whole process group (systemd, `kill -- -PGID`) reaches a worker
    // twice, directly and from the primary: one drain, not close-with-grace's "second signal,
    // exit 1". Ctrl-C also reaches the whole group: the primary answers it with one SIGTERM.
    let stopping = false
    process.on('SIGTERM', () => {
      if (!stopping) void grace.close()
      stopping = true
    })
    process.on('SIGINT', () => {})
    workerReady()
  }
  return -1
}

async function main (argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'start': return await start(rest)
    case 'check': return await check(rest)
    case 'explain':
      try {
        return await explainCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env })
      } catch (err) {
        return reportConfigError(err)
      }
    case 'test':
      return await testCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env })
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
    case 'sessions':
      if (rest[0] === 'revoke') {
        try {
          return await sessionsRevoke(rest.slice(1), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
        } catch (err) {
          return reportConfigError(err)
        }
      }
      break
    case 'tokens':
      try {
        return await tokensCommand(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
      } catch (err) {
        return reportConfigError(err)
      }
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
