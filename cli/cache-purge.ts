import { systemClock } from '../src/clock.js'
import { parseArgs } from 'node:util'
import { text } from 'node:stream/consumers'
import { loadConfig } from '../src/load-config.js'
import { createLogger } from '../src/logger.js'
import { createCache } from '../src/cache/two-tier.js'
import { purgeToken } from '../src/auth/purge-token.js'

export interface CliIo {
  stdin: NodeJS.ReadableStream
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
}

/**
 * `gatehouse cache purge --token T [-c file]`: drops the token from the shared cache and,
 * through Redis pub/sub, from every running instance. `--token -` reads it from stdin, so
 * it need not appear in the process list.
 */
export async function cachePurge (args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, token: { type: 'string' } }, allowPositionals: false })
  let token = values.token
  if (token === '-') token = (await text(io.stdin)).trim()
  if (token === undefined || token === '') {
    io.stderr.write('gatehouse cache purge: --token T (or --token - to read it from stdin) is required\n')
    return 1
  }
  const config = await loadConfig(values.config ?? io.env.GATEHOUSE_CONFIG ?? 'gateway.config.yaml', io.env)
  if (config.cache.redis === undefined) {
    io.stderr.write(
      'gatehouse cache purge: cache.redis is not set, so each instance only has its own ' +
        'local tier; restart the instances, or use POST /cache/purge on each admin listener\n'
    )
    return 1
  }
  const cache = await createCache(config, createLogger('error'), undefined, systemClock)
  try {
    await purgeToken(cache, token, config)
  } catch (err) {
    io.stderr.write(`gatehouse cache purge: ${(err as Error).message}\n`)
    return 1
  } finally {
    await cache.close()
  }
  io.stdout.write('purged from redis and every instance\'s local tier\n')
  return 0
}
