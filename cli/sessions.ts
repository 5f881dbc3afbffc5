import { parseArgs } from 'node:util'
import { loadConfig } from '../src/load-config.js'
import { createRedisClient } from '../src/cache/redis-client.js'
import { revokeUserSessions } from '../src/auth/oidc/user-sessions.js'
import type { CliIo } from './cache-purge.js'

const CONNECT_WAIT_MS = 3000

/**
 * `gatehouse sessions revoke --user U [-c file]`: ends every browser session of a user (oidc
 * authenticators): removed from Redis, and dropped by every running instance at once.
 */
export async function sessionsRevoke (args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, user: { type: 'string' } }, allowPositionals: false })
  if (values.user === undefined || values.user === '') {
    io.stderr.write('gatehouse sessions revoke: --user U is required\n')
    return 1
  }
  const config = await loadConfig(values.config ?? io.env.GATEHOUSE_CONFIG ?? 'gateway.config.yaml', io.env)
  if (config.cache.redis === undefined) {
    io.stderr.write('gatehouse sessions revoke: cache.redis is not set, so sessions live in each instance\'s memory only; restart the instances to end them\n')
    return 1
  }
  const redis = await createRedisClient(config.cache.redis)
  redis.on('error', () => {})
  try {
    const ready = await new Promise<boolean>(resolve => {
      const timer = setTimeout(() => resolve(false), CONNECT_WAIT_MS)
      redis.once('ready', () => { clearTimeout(timer); resolve(true) })
    })
    if (!ready) {
      io.stderr.write('gatehouse sessions revoke: redis is not reachable: no session was ended\n')
      return 1
    }
    const ended = await revokeUserSessions(redis, values.user)
    io.stdout.write(`${ended} session${ended === 1 ? '' : 's'} of ${values.user} ended on every instance\n`)
    return 0
  } catch (err) {
    io.stderr.write(`gatehouse sessions revoke: ${(err as Error).message}\n`)
    return 1
  } finally {
    redis.disconnect()
  }
}
