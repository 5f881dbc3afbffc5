import { request as undiciRequest } from 'undici'

export interface Response {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json<T = Record<string, unknown>> (): T
}

/** A plain HTTP call with a fresh connection pool per process; bodies read whole. */
export async function call (url: string, options: { method?: string, headers?: Record<string, string>, body?: string | Buffer } = {}): Promise<Response> {
  const res = await undiciRequest(url, { method: (options.method ?? 'GET') as 'GET', headers: options.headers, body: options.body })
  const text = await res.body.text()
  return {
    status: res.statusCode,
    headers: res.headers as Record<string, string | string[] | undefined>,
    text,
    json<T> (): T { return JSON.parse(text) as T }
  }
}
