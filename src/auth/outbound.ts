import * as oauth from 'oauth4webapi'

/**
 * How the gateway calls an authorization server (discovery, JWKS, token, userinfo and
 * introspection endpoints): the platform's fetch, never following a redirect (a 3xx is
 * answered as it is, for the caller to refuse: an endpoint that moves is not the one configured), and an answer longer than
 * `maxBytes` refused while it is read, never held whole. oauth4webapi makes its requests
 * through it (`customFetch`).
 */
export function boundedFetch (maxBytes: number): (url: string, init: RequestInit) => Promise<Response> {
  return async (url, init) => {
    const res = await fetch(url, { ...init, redirect: init.redirect === 'error' ? 'error' : 'manual' })
    if (Number(res.headers.get('content-length')) > maxBytes) {
      await res.body?.cancel()
      throw new Error(`the answer is larger than ${maxBytes} bytes`)
    }
    if (res.body === null) return res
    let size = 0
    const body = res.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform (chunk, controller) {
        size += chunk.byteLength
        if (size > maxBytes) controller.error(new Error(`the answer is larger than ${maxBytes} bytes`))
        else controller.enqueue(chunk)
      }
    }))
    const bounded = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers })
    Object.defineProperty(bounded, 'url', { value: res.url })
    return bounded
  }
}

/**
 * What every oauth4webapi request of the gateway is given: its fetch, its deadline, and plain http
 * only where the configured URL is http (tests, a sidecar).
 */
export interface RequestOptions {
  [oauth.customFetch]: (url: string, init: RequestInit) => Promise<Response>
  [oauth.allowInsecureRequests]: boolean
  signal: AbortSignal
}

export function requestOptions (url: string | URL, fetcher: (url: string, init: RequestInit) => Promise<Response>, signal: AbortSignal): RequestOptions {
  return {
    [oauth.customFetch]: fetcher,
    [oauth.allowInsecureRequests]: new URL(url).protocol === 'http:',
    signal
  }
}
