import t from 'tap'
import { authUnit } from '../helpers/auth-unit.js'
import { jwtYaml } from '../helpers/jwt-unit.js'

// loadConfig refuses such a key first; a config built otherwise (createGateway's callers) meets this one.
t.test('a publicKey that cannot be imported stops the authenticator, naming it', async t => {
  await t.rejects(authUnit(jwtYaml({ secret: undefined, publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' })), {
    message: /^authenticator "idp": \S/
  })
})
