import { hashSecret, newClientSecret } from '../src/secrets/client-secret.js'
import { newSigningJwk } from '../src/tokens/signing-keys.js'
import { newApiKey } from './keys.js'

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/** `gatehouse clients new`: the secrets once, on the terminal; the config gets only their hashes. */
export async function newClientText (id: string, scopes: string[]): Promise<string> {
  if (!CLIENT_ID.test(id)) throw new Error(`client id "${id}": letters, digits and . _ : - (not starting with a symbol)`)
  const bad = scopes.find(s => !SCOPE.test(s))
  if (bad !== undefined) throw new Error(`scope "${bad}" is not an OAuth scope token`)
  const { key, hash } = newApiKey()
  const secret = newClientSecret()
  // JSON strings are YAML double-quoted scalars: any scope character stays literal.
  const stanza = [
    `  - id: ${id}`,
    `    secretHash: ${JSON.stringify(await hashSecret(secret))}`,
    `    apiKeys: [{ hash: ${JSON.stringify(hash)} }]`,
    ...(scopes.length > 0 ? [`    scopes: [${scopes.map(s => JSON.stringify(s)).join(', ')}]`] : [])
  ].join('\n')
  return `API key:       ${key}
client secret: ${secret}

Give both to the client's developers now: they are not stored anywhere and cannot be shown again.
Add this to clients: in the gateway config:

${stanza}
`
}

export async function newSigningKeyText (): Promise<string> {
  return `${JSON.stringify({ keys: [await newSigningJwk()] }, null, 2)}\n`
}

/** The secret as piped in: one trailing line break is not part of it. */
export async function hashSecretText (input: string): Promise<string> {
  const secret = input.replace(/\r?\n$/, '')
  if (secret === '') throw new Error('hash-secret: no secret on stdin')
  return `${await hashSecret(secret)}\n`
}
