import { listenEchoUpstream } from '../../examples/echo-upstream.js'

interface Teardown { teardown (fn: () => unknown): void }

/** A real HTTP upstream that echoes what it received as JSON; closed when the test ends. */
export async function startEcho (t: Teardown): Promise<string> {
  const { server, url } = await listenEchoUpstream()
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  return url
}

export interface Echo {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  body: { bytes: number, sha256: string }
}
