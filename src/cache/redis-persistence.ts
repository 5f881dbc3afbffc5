import type { RedisClient } from './redis-client.js'

/** How a Redis keeps its data through a restart: an append-only file, RDB snapshots, neither, or cannot tell. */
export type Persistence = 'aof' | 'rdb' | 'none' | 'unknown'

/**
 * Asked of Redis itself: `INFO persistence` says whether AOF is on; RDB snapshots are on when
 * `CONFIG GET save` lists any. Managed Redis often disables CONFIG: then, without AOF, unknown.
 */
export async function redisPersistence (redis: RedisClient): Promise<Persistence> {
  const info = await redis.info('persistence')
  if (/^aof_enabled:1\r?$/m.test(info)) return 'aof'
  let save: unknown
  try {
    save = await redis.config('GET', 'save')
  } catch {
    return 'unknown'
  }
  const value = Array.isArray(save) ? save[1] : undefined
  if (typeof value !== 'string') return 'unknown'
  return value.trim() === '' ? 'none' : 'rdb'
}
