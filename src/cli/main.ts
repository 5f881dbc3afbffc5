#!/usr/bin/env node
import { parseArgs } from 'node:util'
import closeWithGrace from 'close-with-grace'
import { ConfigError, formatIssue, loadConfig } from '../config/load.js'
import { startGateway } from '../../plugins/server.js'
import { newApiKey } from './keys.js'

/** How long SIGTERM waits for in-flight requests before closing what is left. */
const DRAIN_MS = Number(process.env.GATEHOUSE_DRAIN_MS ?? 10_000)

const USAGE = `usage: gatehouse <command>

  start [-c gateway.config.yaml]   run the gateway
  check [-c gateway.config.yaml]   validate the config; exit 1 with file:line:col errors
  keys new                         print a new API key and its sha256: hash
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
