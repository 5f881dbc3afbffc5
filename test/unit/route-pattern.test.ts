import t from 'tap'
import { compileRoutePattern } from '../../src/routing/route-pattern.js'

t.test('a pattern without a wildcard is its own router path', async t => {
  t.same(compileRoutePattern('/health'), { urls: ['/health'] })
  t.same(compileRoutePattern('/orders/:id'), { urls: ['/orders/:id'] })
  t.same(compileRoutePattern('/orders/:id/lines/:line'), { urls: ['/orders/:id/lines/:line'] })
  t.same(compileRoutePattern('/'), { urls: ['/'] })
  t.same(compileRoutePattern('/a/'), { urls: ['/a/'] }, 'a trailing slash is kept: routing options decide what it matches')
})

t.test('/prefix/* covers the prefix itself and everything below it', async t => {
  t.same(compileRoutePattern('/api/*'), { urls: ['/api', '/api/*'] })
  t.same(compileRoutePattern('/api/:version/*'), { urls: ['/api/:version', '/api/:version/*'] })
  t.same(compileRoutePattern('/*'), { urls: ['/*'] })
})

t.test('patterns it cannot take are named, not guessed at', async t => {
  t.equal(compileRoutePattern('api/*'), 'a pattern starts with /')
  t.equal(compileRoutePattern('/a//b'), 'empty segment (//) in pattern')
  t.equal(compileRoutePattern('//'), 'empty segment (//) in pattern')
  t.equal(compileRoutePattern('/a/*/b'), '* may only be the last segment (/prefix/*)')
  t.equal(compileRoutePattern('/a*'), '* may only be the last segment (/prefix/*)')
  t.equal(compileRoutePattern('/a/:1d'), 'bad parameter ":1d": write :name')
  t.equal(compileRoutePattern('/a/:'), 'bad parameter ":": write :name')
  t.equal(compileRoutePattern('/a/b c'), 'bad segment "b c"')
  t.equal(compileRoutePattern('/a/../b'), 'bad segment ".."')
  t.equal(compileRoutePattern('/a/./b'), 'bad segment "."')
  t.equal(compileRoutePattern('/a/?q'), 'bad segment "?q"')
})
