import t from 'tap'
import { safeReturnPath } from '../../src/auth/oidc/return-to.js'
import { createCipher } from '../../src/auth/oidc/cipher.js'
import { cookieName, readCookie } from '../../src/auth/oidc/cookies.js'
import { fromSameOrigin } from '../../src/policy/same-origin.js'
import { isNavigation } from '../../src/policy/login-redirect.js'
import { withoutCookies } from '../../src/proxy/headers.js'

t.test('return-to: only a path of this gateway, never another site', async t => {
  t.equal(safeReturnPath('/app/page?x=1'), '/app/page?x=1')
  t.equal(safeReturnPath('/'), '/')
  for (const bad of [
    '//evil.example/x',
    '/\\evil.example',
    'https://evil.example/',
    'evil',
    '',
    '/a\r\nSet-Cookie: x=1',
    '/a b',
    `/${'a'.repeat(3000)}`,
    undefined
  ]) {
    t.equal(safeReturnPath(bad), '/', `${JSON.stringify(bad)?.slice(0, 40)} becomes /`)
  }
})

t.test('cipher: AES-GCM, bound to its place and key', async t => {
  const c = createCipher('a-session-key-of-at-least-32-characters!', 'session')
  const sealed = c.seal('key-1', '{"user":"alice"}')
  t.notMatch(sealed, /alice/)
  t.equal(c.open('key-1', sealed), '{"user":"alice"}')
  t.not(c.seal('key-1', 'x'), c.seal('key-1', 'x'), 'a fresh IV each time')
  t.equal(c.open('key-2', sealed), undefined, 'copied under another session\'s key: does not open')
  t.equal(createCipher('another-session-key-of-32-characters!!', 'session').open('key-1', sealed), undefined, 'another key: does not open')
  t.equal(createCipher('a-session-key-of-at-least-32-characters!', 'login').open('key-1', sealed), undefined, 'another purpose: does not open')
  const flipped = Buffer.from(sealed, 'base64url')
  flipped[14] = (flipped[14] as number) ^ 1
  t.equal(c.open('key-1', flipped.toString('base64url')), undefined, 'tampered: does not open')
  t.equal(c.open('key-1', 'short'), undefined)
})

t.test('cookies: __Host- over TLS only; read by exact name', async t => {
  t.equal(cookieName('gatehouse-session', true), '__Host-gatehouse-session')
  t.equal(cookieName('gatehouse-session', false), 'gatehouse-session')
  t.equal(readCookie('a=1; gatehouse-session=abc; b=2', 'gatehouse-session'), 'abc')
  t.equal(readCookie('x-gatehouse-session=abc', 'gatehouse-session'), undefined)
  t.equal(readCookie('__Host-gatehouse-session=abc', 'gatehouse-session'), undefined, 'the TLS name is not the plain one')
  t.equal(readCookie(undefined, 'gatehouse-session'), undefined)
  t.equal(withoutCookies('a=1; gatehouse-session=abc; b=2', ['gatehouse-session', '__Host-gatehouse-session']), 'a=1; b=2')
  t.equal(withoutCookies('gatehouse-session=abc', ['gatehouse-session']), undefined)
})

t.test('same origin: Sec-Fetch-Site first, then Origin, then Referer; nothing is not same-origin', async t => {
  const o = 'https://app.example'
  t.ok(fromSameOrigin({ 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' }, o), 'Sec-Fetch-Site decides')
  t.notOk(fromSameOrigin({ 'sec-fetch-site': 'same-site', origin: o }, o))
  t.notOk(fromSameOrigin({ 'sec-fetch-site': 'cross-site' }, o))
  t.ok(fromSameOrigin({ origin: o }, o))
  t.notOk(fromSameOrigin({ origin: 'https://app.example:8443' }, o), 'another port is another origin')
  t.notOk(fromSameOrigin({ origin: 'http://app.example' }, o), 'another scheme is another origin')
  t.notOk(fromSameOrigin({ origin: 'null' }, o))
  t.ok(fromSameOrigin({ referer: `${o}/page` }, o))
  t.notOk(fromSameOrigin({ referer: 'not a url' }, o))
  t.notOk(fromSameOrigin({}, o))
})

t.test('navigation: a GET for HTML that the browser does not mark as a fetch or a subresource', async t => {
  t.ok(isNavigation('GET', { accept: 'text/html,application/xhtml+xml' }))
  t.ok(isNavigation('GET', { accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }))
  t.notOk(isNavigation('POST', { accept: 'text/html' }))
  t.notOk(isNavigation('GET', { accept: 'application/json' }))
  t.notOk(isNavigation('GET', {}))
  t.notOk(isNavigation('GET', { accept: 'text/html', 'sec-fetch-mode': 'cors' }), 'fetch() asking for HTML')
  t.notOk(isNavigation('GET', { accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' }), 'a frame')
})

t.test('cookies: the scan finds only a whole cookie name', async t => {
  t.equal(readCookie('gatehouse-session=abc', 'gatehouse-session'), 'abc')
  t.equal(readCookie('a=1;gatehouse-session=abc;b=2', 'gatehouse-session'), 'abc')
  t.equal(readCookie('xgatehouse-session=1; gatehouse-session=abc', 'gatehouse-session'), 'abc', 'a longer name ending the same is skipped')
  t.equal(readCookie('a=gatehouse-session=1', 'gatehouse-session'), undefined, 'inside another cookie\'s value is not a cookie')
  t.equal(readCookie('gatehouse-session=first; gatehouse-session=second', 'gatehouse-session'), 'first')
  t.equal(readCookie(['a=1', 'gatehouse-session=abc'], 'gatehouse-session'), 'abc')
  t.equal(readCookie('gatehouse-session-login=abc', 'gatehouse-session'), undefined)
})
