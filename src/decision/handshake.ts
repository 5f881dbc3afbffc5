import type { RequestHeaders } from './request.js'

const KEY = /^[+/0-9A-Za-z]{22}==$/
/** RFC 6455 §4.1: each subprotocol is an RFC 7230 token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** A request asking to switch to WebSocket; one asking for another protocol (h2c) is answered as a plain request. */
export function isWebSocketUpgrade (upgrade: boolean, headers: RequestHeaders): boolean {
  const asked = headers.upgrade
  return upgrade && typeof asked === 'string' && asked.toLowerCase() === 'websocket'
}

/** The entries of a Sec-WebSocket-Protocol offer, in order. */
export function protocolList (value: string | string[] | undefined): string[] {
  if (value === undefined) return []
  return (Array.isArray(value) ? value.join(',') : value).split(',').map(p => p.trim()).filter(p => p !== '')
}

/** What is wrong with the client's WebSocket handshake (RFC 6455 §4.2.1), checked before anything else is asked. */
export function handshakeProblem (method: string, headers: RequestHeaders): string | undefined {
  if (method !== 'GET') return 'a WebSocket upgrade must be a GET'
  const key = headers['sec-websocket-key']
  if (typeof key !== 'string' || !KEY.test(key)) return 'missing or malformed Sec-WebSocket-Key'
  const version = headers['sec-websocket-version']
  if (version !== '13' && version !== '8') return 'unsupported Sec-WebSocket-Version'
  const protocols = protocolList(headers['sec-websocket-protocol'])
  if (protocols.some(p => !TOKEN.test(p)) || new Set(protocols).size !== protocols.length) return 'malformed Sec-WebSocket-Protocol'
  return undefined
}
