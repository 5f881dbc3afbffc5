import t from 'tap'
import { createSealer } from '../../src/cache/integrity.js'

const KEY = 'an-integrity-key-of-at-least-32-characters'

t.test('with a key, a value opens only under the key it was sealed for, unchanged', async t => {
  const sealer = createSealer(KEY)
  t.equal(sealer.keyed, true)
  const sealed = sealer.seal('gatehouse:v1:jwt:aaa', '{"v":{"id":"alice"},"e":1}')
  t.not(sealed, '{"v":{"id":"alice"},"e":1}', 'the value carries its MAC')
  t.equal(sealer.open('gatehouse:v1:jwt:aaa', sealed), '{"v":{"id":"alice"},"e":1}')
  t.equal(sealer.open('gatehouse:v1:jwt:bbb', sealed), undefined, 'copied under another token\'s key: refused')
  t.equal(sealer.open('gatehouse:v1:jwt:aaa', sealed.replace('alice', 'admin')), undefined, 'a changed value: refused')
  t.equal(createSealer(`${KEY}-other`).open('gatehouse:v1:jwt:aaa', sealed), undefined, 'sealed with another key: refused')
})

t.test('with a key, unsealed and malformed values are refused', async t => {
  const sealer = createSealer(KEY)
  t.equal(sealer.open('k', '{"v":1,"e":1}'), undefined, 'a plain value written by someone without the key')
  t.equal(sealer.open('k', '.{"v":1}'), undefined, 'an empty MAC')
  t.equal(sealer.open('k', 'short.{"v":1}'), undefined, 'a MAC of the wrong length')
  t.equal(sealer.open('k', ''), undefined)
})

t.test('without a key values travel plain; only JSON objects are taken back', async t => {
  const sealer = createSealer(undefined)
  t.equal(sealer.keyed, false)
  t.equal(sealer.seal('k', '{"v":1}'), '{"v":1}')
  t.equal(sealer.open('k', '{"v":1}'), '{"v":1}')
  t.equal(sealer.open('k', 'mac.{"v":1}'), undefined, 'a sealed value, with no key to check it, is not trusted')
})
