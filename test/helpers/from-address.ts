import { Agent, request } from 'undici'
import type { Response } from './http.js'

interface Teardown { teardown (fn: () => unknown): void }

/**
 * Requests whose socket is bound to one loopback address (127.0.0.2, …), so the gateway sees
 * several clients without trusting any forwarding header; the agent closes when the test ends.
 */
export function fromAddress (
  t: Teardown,
  localAddress: string,
  connections = 64
): (url: string, options?: { method?: string, headers?: Record<string, string>, body?: string }) => Promise<Response> {
  const agent = new Agent({ localAddress, connections })
  t.teardown(() => agent.close())
  return async (url, options = {}) => {
    const res = await request(url, { method: (options.method ?? 'GET') as 'GET', headers: options.headers, body: options.body, dispatcher: agent })
    const text = await res.body.text()
    return {
      status: res.statusCode,
      headers: res.headers as Record<string, string | string[] | undefined>,
      text,
      json<T>(): T {
        return JSON.parse(text) as T
      }
    }
  }
}

/** A form POST (the token endpoints) through `send`. */
export async function postFormWith (
  send: ReturnType<typeof fromAddress>,
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {}
): Promise<Response> {
  return await send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString()
  })
}
