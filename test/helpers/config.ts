import { parseConfig } from '../../src/config/load.js'
import type { GatewayConfig } from '../../src/config/types.js'

/** A config from YAML text, checked and normalised as `gatehouse check` does, without a file or a listener. */
export function configOf (yaml: string, env: NodeJS.ProcessEnv = {}): GatewayConfig {
  return parseConfig(yaml, '/etc/gatehouse/gateway.config.yaml', env)
}

/** The smallest config that loads: one upstream, one public route. */
export const MINIMAL = `upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /*, upstream: app, policy: public }
`
