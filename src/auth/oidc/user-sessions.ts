import { createHash } from 'node:crypto'
import type { RedisClient } from '../../cache/redis-client.js'
import { INVALIDATION_CHANNEL } from '../../cache/two-tier.js'

/** The Redis set of one user's session keys: what `gatehouse sessions revoke --user` ends. */
export function userSessionsKey (user: string): string {
  return `gatehouse:v1:oidc-user:${createHash('sha256').update(user).digest('hex')}`
}

/** Which sessions each user has, in Redis; without Redis there is nothing an operator could reach, so nothing is kept. */
export interface UserSessions {
  add (user: string, sessionKey: string, ttlMs: number): Promise<void>
  remove (user: string, sessionKey: string): Promise<void>
  close (): Promise<void>
}

export function userSessions (redis: RedisClient | undefined): UserSessions {
  if (redis === undefined) return { add: async () => {}, remove: async () => {}, close: async () => {} }
  return {
    async add (user, sessionKey, ttlMs) {
      const key = userSessionsKey(user)
      // The set outlives each of its sessions by at most one absolute timeout.
      await redis.multi().sadd(key, sessionKey).pexpire(key, ttlMs).exec().catch(() => {})
    },
    async remove (user, sessionKey) {
      await redis.srem(userSessionsKey(user), sessionKey).catch(() => {})
    },
    async close () {
      redis.removeAllListeners('error')
      redis.on('error', () => {})
      await redis.quit().catch(() => redis.disconnect())
    }
  }
}

/**
 * Ends every session of a user: their entries deleted from Redis and every instance told
 * to drop its local copy (the cache's invalidation channel). Returns how many were still alive.
 */
export async function revokeUserSessions (redis: RedisClient, user: string): Promise<number> {
  const key = userSessionsKey(user)
  let ended = 0
  for (const sessionKey of await redis.smembers(key)) {
    ended += await redis.del(sessionKey)
    await redis.publish(INVALIDATION_CHANNEL, sessionKey)
  }
  await redis.del(key)
  return ended
}
