import { createServer } from 'node:http'
import { request } from 'undici'
import { freePort } from './ports.js'
import type { TestAuthServer } from './oauth-server.js'

interface Teardown { teardown (fn: () => unknown): void }

/**
 * Another origin serving the real authorization server's OpenID metadata document at one
 * well-known path (the others answer 404), its `issuer` replaced by `issuer(url)` where `url`
 * is this server's own: the document an issuer hosted elsewhere, or an impostor, would serve.
 */
export async function startMetadataMirror (
  t: Teardown,
  as: TestAuthServer,
  options: { path: string, issuer: (url: string) => string }
): Promise<{ url: string }> {
  const res = await request(`${as.url}/.well-known/openid-configuration`)
  const document = (await res.body.json()) as Record<string, unknown>
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const body = JSON.stringify({ ...document, issuer: options.issuer(url) })
  const server = createServer((req, res) => {
    if (req.url === options.path) res.writeHead(200, { 'content-type': 'application/json' }).end(body)
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}')
  })
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  )
  return { url }
}
