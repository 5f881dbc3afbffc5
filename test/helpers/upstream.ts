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

export interface CountingEcho {
  url: string
  /** Requests the upstream has received so far. */
  readonly requests: number
}

/** An echo upstream that counts what reached it: a security test asserts the upstream was (not) called. */
export async function startCountingEcho (t: Teardown): Promise<CountingEcho> {
  const { server, url } = await listenEchoUpstream()
  let requests = 0
  server.prependListener('request', () => { requests++ })
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url, get requests () { return requests } }
}
