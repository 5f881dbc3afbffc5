import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/load.js'
import { ROOT } from '../helpers/paths.js'

t.test('the complete example on the README front page is a valid config', async t => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## A complete example'))
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1]
  if (yaml === undefined) throw new Error('README.md: no ```yaml block under "## A complete example"')
  const config = parseConfig(yaml, join(ROOT, 'gateway.config.yaml'), {})
  t.same(config.routes.map(r => r.match), ['/api/catalog/*', '/api/orders/*'])
  t.equal(config.upstreams.get('orders')?.url, 'http://127.0.0.1:8000')
})
