/**
 * How a request body goes upstream: `none`; `whole`: read before the request takes an
 * upstream connection, so a slow client holds none (a declared length is reserved against
 * the process's buffer budget at once, a chunked body as it arrives, and it streams after all
 * once it grows past `bufferLimit`); `stream`: a declared length over `bufferLimit`, sent as
 * it arrives.
 */
export type BodyPlan = { kind: 'none' } | { kind: 'whole', declared: number | undefined } | { kind: 'stream' }

// Shared answers: most requests (a GET) cost no allocation here.
const NONE: BodyPlan = { kind: 'none' }
const STREAM: BodyPlan = { kind: 'stream' }
const CHUNKED: BodyPlan = { kind: 'whole', declared: undefined }

export function planBody (headers: { 'content-length'?: string, 'transfer-encoding'?: string }, bufferLimit: number): BodyPlan {
  const length = headers['content-length']
  // Node's parser has refused a request with both, or with a length that is not a number.
  if (headers['transfer-encoding'] !== undefined) return bufferLimit > 0 ? CHUNKED : STREAM
  if (length === undefined || length === '0') return NONE
  const declared = Number(length)
  return declared <= bufferLimit ? { kind: 'whole', declared } : STREAM
}
