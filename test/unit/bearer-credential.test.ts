import t from 'tap'
import { bearerCredential, TOKEN68 } from '../../src/auth/bearer.js'

t.test('the credential of a Bearer header, the scheme in any case, blanks around it dropped', async t => {
  t.equal(bearerCredential('Bearer abc.def'), 'abc.def')
  t.equal(bearerCredential('bearer abc'), 'abc')
  t.equal(bearerCredential('BEARER \t abc=  '), 'abc=')
  t.equal(bearerCredential('Bearer\tabc'), 'abc')
  t.equal(bearerCredential('Bearer'), '', 'the scheme alone: an empty credential, for the caller to refuse or skip')
})

t.test('no header, several, or another scheme: no Bearer credential', async t => {
  for (const h of [undefined, ['Bearer a', 'Bearer b'], 'Basic YTpi', 'Bearerabc', 'Token abc', '']) {
    t.equal(bearerCredential(h), undefined, JSON.stringify(h))
  }
})

t.test('TOKEN68: RFC 6750 b64token characters, padding only at the end', async t => {
  for (const ok of ['abc', 'a-b.c_d~e+f/g', 'YWJj==']) t.ok(TOKEN68.test(ok), ok)
  for (const bad of ['', 'a b', 'a=b', 'a,b', 'a"b', '=']) t.notOk(TOKEN68.test(bad), bad)
})
