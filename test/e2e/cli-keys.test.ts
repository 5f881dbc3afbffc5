import t from 'tap'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { CLI, nodeCommand } from '../helpers/paths.js'

t.test('gatehouse keys new prints a fresh high-entropy key and its sha256: hash', async t => {
  const run = (): { key: string, hash: string } => {
    const out = spawnSync(...nodeCommand([CLI, 'keys', 'new']), { encoding: 'utf8' })
    t.equal(out.status, 0)
    const key = /^key: +(\S+)$/m.exec(out.stdout)?.[1] ?? ''
    const hash = /^hash: +(\S+)$/m.exec(out.stdout)?.[1] ?? ''
    return { key, hash }
  }
  const a = run()
  const b = run()
  t.match(a.key, /^gh_[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url')
  t.not(a.key, b.key, 'a new key each time')
  t.equal(a.hash, `sha256:${createHash('sha256').update(a.key).digest('hex')}`, 'the hash is sha256 of the key')
  t.match(a.hash, /^sha256:[0-9a-f]{64}$/, 'the form the config accepts')
})
