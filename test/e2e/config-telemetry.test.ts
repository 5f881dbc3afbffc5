import t, { type Test } from 'tap'
import { join } from 'node:path'
import { ConfigError } from '../../src/config/load.js'
import { loadConfig } from '../../src/load-config.js'
import { tempDir } from '../helpers/gateway.js'

const BASE = `upstreams:
  web: { url: "http://127.0.0.1:1" }
routes:
  - { match: /a, upstream: web, policy: public }
`

async function load (t: Test, telemetry: string): Promise<unknown> {
  const dir = tempDir(t, { 'gateway.config.yaml': `${telemetry}${BASE}` })
  return await loadConfig(join(dir, 'gateway.config.yaml')).catch((e: unknown) => e)
}

t.test('telemetry: off unless an OTLP endpoint is given; defaults filled; a bad endpoint named with its position', async t => {
  t.equal(((await load(t, '')) as { telemetry: unknown }).telemetry, undefined, 'absent: off')
  t.equal(((await load(t, 'telemetry: { otlp: { endpoint: "" } }\n')) as { telemetry: unknown }).telemetry, undefined, 'empty endpoint: off')
  t.same(((await load(t, 'telemetry: { otlp: { endpoint: "http://collector:4318" } }\n')) as { telemetry: unknown }).telemetry, {
    endpoint: 'http://collector:4318', headers: {}, serviceName: 'gatehouse', sampleRatio: 1, exportIntervalMs: 5000
  })
  const bad = await load(t, 'telemetry:\n  otlp: { endpoint: "collector:4318" }\n')
  t.ok(bad instanceof ConfigError)
  t.match((bad as ConfigError).issues, [{ line: 2, path: 'telemetry.otlp.endpoint', message: 'must be an http:// or https:// URL' }])
  const ratio = await load(t, 'telemetry:\n  otlp: { endpoint: "http://c:4318", sampleRatio: 2 }\n')
  t.ok(ratio instanceof ConfigError, 'a sample ratio above 1 is refused')
})
