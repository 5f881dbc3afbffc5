import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestGateway, tempDir } from '../helpers/gateway.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { drfDatabase, manage, startDrf } from '../helpers/drf.js'
import { DJANGO, requires } from '../helpers/requires.js'
import { runTokens, userTokenYaml } from '../helpers/api-tokens.js'

t.test(
  'DRF TokenAuthentication tokens move to the gateway: drf_create_token, dumpdata, tokens import --drf, then Authorization: Token through gatehouse',
  { skip: requires(DJANGO) },
  async t => {
    const db = drfDatabase(t)
    manage(db, ['migrate', '-v', '0'])
    manage(db, [
      'shell',
      '-c',
      [
        'from django.contrib.auth.models import User',
        "User.objects.create_user('alice')",
        "User.objects.create_user('bob')",
        "User.objects.create_user('mallory', is_active=False)"
      ].join('; ')
    ])
    const keys: Record<string, string> = {}
    for (const user of ['alice', 'bob', 'mallory']) {
      // DRF's own command, as a team running TokenAuthentication makes tokens today.
      const out = manage(db, ['drf_create_token', user])
      const m = /^Generated token ([0-9a-f]{40}) for user (\S+)$/m.exec(out)
      t.ok(m, `drf_create_token ${user}: ${out.trim()}`)
      keys[user] = m?.[1] as string
    }
    const dumpFile = join(tempDir(t), 'tokens.json')
    writeFileSync(dumpFile, manage(db, ['dumpdata', 'auth.user', 'authtoken.token']))

    const drf = await startDrf(t, { db })
    const redis = await startRedis(t)
    const gw = await startTestGateway(t, userTokenYaml(drf.url, redis.url))
    const me = async (token: string): Promise<Awaited<ReturnType<typeof call>>> =>
      await call(`${gw.url}/api/me/whoami/`, { headers: { authorization: `Token ${token}` } })
    t.equal((await me(keys.alice as string)).status, 401, 'before the import the gateway knows no DRF token')

    const imported = await runTokens(['import', '-c', gw.gateway.config.file, '--drf', dumpFile])
    t.equal(imported.code, 0, imported.err)
    t.equal(
      imported.out,
      'imported 2 tokens, skipped 0 already stored, 1 of inactive users\n',
      "DRF refuses an inactive user's token, so it is not carried over"
    )
    for (const key of Object.values(keys)) t.notOk(imported.out.includes(key), 'no key in the report')

    const again = await runTokens(['import', '-c', gw.gateway.config.file, '--drf', dumpFile])
    t.equal(again.out, 'imported 0 tokens, skipped 2 already stored, 1 of inactive users\n', 'importing twice stores nothing twice')
    const listed = await runTokens(['list', '-c', gw.gateway.config.file])
    t.equal(listed.out.trim().split('\n').length, 3, 'two tokens')
    t.match(listed.out, /\balice\b/)
    t.notMatch(listed.out, /mallory/)

    const users = JSON.parse(manage(db, ['dumpdata', 'auth.user'])) as Array<{ pk: number, fields: { username: string } }>
    const pk = (name: string): number | undefined => users.find(u => u.fields.username === name)?.pk
    for (const user of ['alice', 'bob']) {
      // The views are the example's, run through RemoteUserAuthentication: request.user is the DRF user the token belonged to.
      const res = await me(keys[user] as string)
      t.equal(res.status, 200, drf.output())
      t.match(
        res.json(),
        { user, user_id: pk(user), is_authenticated: true, saw_authorization: false, remote_auth: 'personal' },
        `${user}'s DRF token is ${user} in DRF, the same row`
      )
    }
    const inactive = await me(keys.mallory as string)
    t.equal(inactive.status, 401, "an inactive user's token is not honoured")
    t.equal(inactive.json().code, 'invalid_token')
    t.equal(inactive.headers['www-authenticate'], 'Token realm="gatehouse", error="invalid_token", error_description="unknown or revoked token"')

    t.notOk(gw.logText().includes(keys.alice as string) || gw.logText().includes(keys.bob as string), "no key in the gateway's logs")
  }
)
