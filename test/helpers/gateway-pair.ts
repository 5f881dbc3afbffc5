import { startTestGateway, type TestGateway, type TestGatewayOptions } from './gateway.js'
import { startRedis, type TestRedis } from './redis.js'

interface Teardown { teardown (fn: () => unknown): void }

export interface GatewayPair {
  redis: TestRedis
  /** The config both run, to start a third instance like them. */
  yaml: string
  a: TestGateway
  b: TestGateway
}

/**
 * Two gateway instances of one config sharing one fresh Redis, as two replicas behind a load
 * balancer run: what one learns, purges or revokes the other must see. `config` gets the
 * Redis URL; both are closed (and Redis stopped) when the test ends.
 */
export async function startGatewayPair (
  t: Teardown,
  config: (redisUrl: string) => string | Promise<string>,
  options: TestGatewayOptions = {}
): Promise<GatewayPair> {
  const redis = await startRedis(t)
  const yaml = await config(redis.url)
  const [a, b] = await Promise.all([startTestGateway(t, yaml, options), startTestGateway(t, yaml, options)])
  return { redis, yaml, a, b }
}
