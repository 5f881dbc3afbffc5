import t from 'tap'
import { compilePublicOrigins, publicOriginProblem } from '../../src/routing/public-origin.js'

t.test('no public origins: no matcher, any Host is taken as sent', async t => {
  t.equal(compilePublicOrigins([]), undefined)
})

t.test('a Host matches a configured origin by scheme, host (any case) and port (the default one spelled or not)', async t => {
  const match = compilePublicOrigins(['https://api.example.com', 'http://127.0.0.1:8080', 'https://[::1]:8443'])
  if (match === undefined) throw new Error('a matcher')
  const api = { origin: 'https://api.example.com', protocol: 'https', host: 'api.example.com' }
  for (const host of ['api.example.com', 'API.Example.COM', 'api.example.com:443']) t.same(match('https', host), api, host)
  t.same(match('http', '127.0.0.1:8080'), { origin: 'http://127.0.0.1:8080', protocol: 'http', host: '127.0.0.1:8080' })
  t.same(match('https', '[::1]:8443')?.origin, 'https://[::1]:8443')
  const refused: Array<[string, string | undefined]> = [
    ['http', 'api.example.com'], ['https', 'api.example.com:8443'], ['https', 'api.example.com.'], ['https', 'evil.example'],
    ['https', 'api.example.com.evil.example'], ['https', 'user@api.example.com'], ['https', 'api.example.com/x'], ['https', ''], ['https', undefined],
    ['http', '127.0.0.1'], ['http', '127.0.0.1:80'], ['http', '127.0.0.1:8080:8080'], ['https', 'api.example.com:443:443']
  ]
  for (const [protocol, host] of refused) t.equal(match(protocol, host), undefined, `${protocol}://${String(host)}`)
})

t.test('a configured entry must be an origin alone', async t => {
  t.equal(publicOriginProblem('https://api.example.com'), undefined)
  t.equal(publicOriginProblem('http://10.0.0.1:8080'), undefined)
  for (const bad of [
    'api.example.com',
    'https://api.example.com/',
    'https://api.example.com/v1',
    'https://a@api.example.com',
    'https://api.example.com#x',
    'wss://api.example.com'
  ]) {
    t.type(publicOriginProblem(bad), 'string', bad)
  }
})
