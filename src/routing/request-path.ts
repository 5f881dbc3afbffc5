import { GatehouseError } from '../errors.js'
import type { RoutingConfig } from './options.js'

/** The request target, split once: the path as sent (forwarded as is) and the query without `?`. */
export interface RequestTarget {
  path: string
  query: string
}

const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/
const ENCODED_TRAVERSAL = /%2e|%2f|%5c/i
const PATH_PARAMETER = /;[^/]*/g
const NON_ASCII = /[^\u0000-\u007f]/

/** A path with each segment's `;…` parameter removed: what Tomcat and Spring route on. */
export function withoutPathParameters (path: string): string {
  return path.includes(';') ? path.replace(PATH_PARAMETER, '') : path
}

/**
 * The router path for `url` when `;` parameters are allowed: each segment without its
 * parameter, the query kept. Fastify routes on this (its `rewriteUrl`); the pipeline
 * still forwards the path as sent, which the upstream reads the same way.
 */
export function routerUrl (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? withoutPathParameters(url) : withoutPathParameters(url.slice(0, q)) + url.slice(q)
}

/**
 * Whether lower-casing the decoded path changes its length (`İ` becomes `i̇`): find-my-way
 * matches the lower-cased path but slices parameters from the original, so such a path
 * would shift every later segment and fall through to a sibling wildcard route.
 */
function caseFoldShifts (path: string): boolean {
  if (!path.includes('%') && !NON_ASCII.test(path)) return false
  let decoded = path
  try {
    decoded = decodeURIComponent(path)
  } catch {
    // Not decodable: the router refuses it before any route.
  }
  return decoded.toLowerCase().length !== decoded.length
}

function ambiguous (detail: string): GatehouseError {
  return new GatehouseError('ambiguous_path', detail)
}

/**
 * Splits the target and refuses what a router and an upstream could read differently, so
 * the path forwarded is the path judged: a request matched by one route must never reach
 * another path upstream (`/public/../admin`, `/public//admin` for a server that collapses
 * `//`, `/admin;x` for one that strips `;` parameters, encoded `.` `/` `\`). Only the
 * origin form (`/path?query`) is a target a gateway routes; the absolute form is refused.
 */
export function judgeTarget (url: string, routing: RoutingConfig): RequestTarget {
  if (url.charCodeAt(0) !== 47 /* / */) throw new GatehouseError('bad_request', 'the request target must be a path (origin-form), not an absolute URL or *')
  // A fragment is never sent (RFC 9112 §3.2): the router stops at `#`, an upstream or `ws` may not.
  if (url.includes('#')) throw new GatehouseError('bad_request', 'the request target carries a fragment (#)')
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const query = q === -1 ? '' : url.slice(q + 1)
  if (path.includes('\\')) throw ambiguous('backslash in path')
  if (ENCODED_TRAVERSAL.test(path)) throw ambiguous('encoded dot, slash or backslash in path')
  let judged = path
  if (path.includes(';')) {
    if (!routing.allowSemicolons) throw ambiguous('a ; path parameter in the path (server.routing.allowSemicolons is off)')
    judged = withoutPathParameters(path)
  }
  if (judged.includes('//')) throw ambiguous('empty path segment (//)')
  if (DOT_SEGMENT.test(judged)) throw ambiguous('dot segment in path')
  if (!routing.caseSensitive && caseFoldShifts(judged)) {
    throw ambiguous('a character whose lower case has another length (İ): matched case-insensitively it is not one character')
  }
  return { path, query }
}
