import t from 'tap'
import fc from 'fast-check'
import { KEYS, startTestGateway } from '../helpers/gateway.js'
import { DECISIONS_TOKEN, decisionsYaml, nginxRecipe } from '../helpers/decision-api.js'
import { NGINX, startNginx } from '../helpers/nginx.js'
import { freePort } from '../helpers/ports.js'
import { hostOf, rawRequest, requestBytes } from '../helpers/raw-http.js'
import { requires } from '../helpers/requires.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { userToken } from '../helpers/user-token.js'

/** RFC 9110 token characters an app's server may read as `-` (CGI folds every one of them to `_`). */
const SEPARATORS = ['-', '_', '.', '~', '+', '!', '*', '|', '`', '^', '\'', '#', '$', '%', '&']

/** A header name as a CGI/WSGI layer reads it: every character but a letter or digit is one and the same. */
const fold = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '-')

/** One spelling of `Remote-<word>`: any separator, any letter case. */
const spelling = (word: string): fc.Arbitrary<string> => fc.record({
  sep: fc.constantFrom(...SEPARATORS),
  upper: fc.array(fc.boolean(), { minLength: 6 + word.length, maxLength: 6 + word.length })
}).map(({ sep, upper }) => [...`remote${sep}${word}`].map((c, i) => upper[i] === true ? c.toUpperCase() : c).join(''))

const SPOOF = 'mallory'

t.test('identity headers the client sends never reach the app through nginx, in any spelling', { skip: requires(NGINX) }, async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, decisionsYaml(upstream))
  const port = await freePort()
  const nginx = await startNginx(
    t,
    port,
    nginxRecipe({ port, decisions: (gw.decisionsUrl as string).slice('http://'.length), upstream, token: DECISIONS_TOKEN })
  )
  const alice = `Bearer ${await userToken('alice')}`
  const cases = [
    { path: '/public/a', lines: [] as string[], told: {} },
    { path: '/user/me', lines: [`Authorization: ${alice}`], told: { 'remote-user': 'alice' } },
    { path: '/client/x', lines: [`X-API-Key: ${KEYS.android}`], told: { 'remote-client': 'android' } }
  ]
  const seenSpellings = new Set<string>()

  const received = async (path: string, lines: string[]): Promise<Echo['headers']> => {
    const res = await rawRequest(t, nginx.url, requestBytes('GET', path, hostOf(nginx.url), [...lines, 'Connection: close']))
    t.equal(res.status, 200, `${path} with ${lines.length} lines: allowed`)
    return (JSON.parse(res.body.toString()) as Echo).headers
  }

  const property = fc.asyncProperty(
    fc.constantFrom(...cases),
    fc.uniqueArray(fc.oneof(spelling('user'), spelling('client'), spelling('identity'), spelling('scopes'), spelling('auth')), { minLength: 1, maxLength: 4 }),
    async ({ path, lines, told }, names) => {
      for (const n of names) seenSpellings.add(n)
      const headers = await received(path, [...lines, ...names.map(n => `${n}: ${SPOOF}`)])
      for (const [name, value] of Object.entries(headers)) {
        const values = Array.isArray(value) ? value : [value ?? '']
        if (values.some(v => v.includes(SPOOF))) return false
        const folded = fold(name)
        if (folded === 'remote-user' || folded === 'remote-client') {
          if (name !== folded || (told as Record<string, string>)[folded] !== value) return false
        }
      }
      for (const [name, value] of Object.entries(told)) if (headers[name] !== value) return false
      return true
    }
  )
  await fc.assert(property, { numRuns: 60 })
  t.ok(seenSpellings.size >= 20, `${seenSpellings.size} spellings sent`)

  t.test('every spelling at once, twice over, beside the real credential', async t => {
    const names = ['Remote-User', 'remote-user', 'REMOTE-USER', 'Remote_User', 'REMOTE_USER', 'Remote.User', 'Remote~User', 'rEMOTE-uSER',
      'Remote-Client', 'remote_client', 'Remote-Identity']
    const headers = await received('/user/me', [`Authorization: ${alice}`, ...names.map(n => `${n}: ${SPOOF}`), ...names.map(n => `${n}: ${SPOOF}2`)])
    t.equal(headers['remote-user'], 'alice', 'the user nginx was told')
    t.notOk(headers['remote-client'], 'no client')
    t.notOk(JSON.stringify(headers).includes(SPOOF), 'no spoofed value arrived')
  })
})
