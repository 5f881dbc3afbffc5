import t from 'tap'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ConfigError, formatIssue, parseConfig } from '../../src/config/load.js'
import { tempDir } from '../helpers/gateway.js'
import { CLI, nodeCommand } from '../helpers/paths.js'

const withServer = (lines: string): string => `server:
  listen: 127.0.0.1:8080
${lines}
upstreams:
  web: { url: "http://127.0.0.1:8000" }
routes:
  - match: /a/*
    upstream: web
    policy: public
`

function issuesOf (yaml: string): string[] {
  try {
    parseConfig(yaml, '/etc/gatehouse/gw.yaml', {})
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue)
    throw err
  }
  return []
}

t.test('server.requestTimeout is never 0: 0s is a config error naming file:line:col and the key', async t => {
  const issues = issuesOf(withServer('  requestTimeout: 0s'))
  t.equal(issues.length, 1, issues.join('\n'))
  t.match(issues[0] ?? '', /^\/etc\/gatehouse\/gw\.yaml:3:(3|19) server\.requestTimeout: \S/)

  const dir = tempDir(t, { 'gw.yaml': withServer('  requestTimeout: 0s') })
  const check = spawnSync(...nodeCommand([CLI, 'check', '-c', join(dir, 'gw.yaml')]), { encoding: 'utf8' })
  t.equal(check.status, 1, 'gatehouse check exits 1')
  t.match(check.stderr, new RegExp(`^${join(dir, 'gw.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:(3|19) server\\.requestTimeout: \\S`, 'm'))
})

t.test('the new server keys are accepted with durations and routing flags', async t => {
  t.same(issuesOf(withServer(`  bodyTimeout: 1s
  requestTimeout: 300s
  drainTimeout: 1s
  routing: { caseSensitive: true, ignoreTrailingSlash: false, allowSemicolons: true }`)), [])
  t.same(issuesOf(withServer('  routing: {}')), [], 'every routing flag is optional')
  t.match(issuesOf(withServer('  bodyTimeout: soon')).join('\n'), /gw\.yaml:3:\d+ server\.bodyTimeout: /, 'a bad duration is located')
  t.match(issuesOf(withServer('  drainTimeout: 30')).join('\n'), /gw\.yaml:3:\d+ server\.drainTimeout: /)
  t.match(issuesOf(withServer('  routing: { caseSensitive: "no" }')).join('\n'), /gw\.yaml:3:\d+ server\.routing\.caseSensitive: /)
  t.match(issuesOf(withServer('  routing: { stripSlashes: true }')).join('\n'), /gw\.yaml:3:\d+ server\.routing\.stripSlashes: unknown key/)
})

t.test('requestTimeout defaults to 300s, not 0 (no timeout)', async t => {
  const config = parseConfig(withServer(''), '/etc/gatehouse/gw.yaml', {})
  t.equal(config.server.requestTimeoutMs, 300_000)
})
