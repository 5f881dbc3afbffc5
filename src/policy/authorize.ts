import { GatehouseError } from '../errors.js'
import type { RouteConfig } from '../config/types.js'
import { challengesOf, type Identity, type RouteAuth } from './authenticate.js'

export type RouteAuthz = Pick<RouteConfig, 'scopes' | 'requireClaims' | 'clients' | 'bindUserToClient'> & RouteAuth

function missing (route: RouteAuth, principal: 'client' | 'user', rule: string): GatehouseError {
  return new GatehouseError('missing_credentials', `a ${principal} credential is required by this route's ${rule}`, {
    principal,
    challenges: challengesOf(principal === 'client' ? route.clientAuth : route.userAuth)
  })
}

/** Strict equality: a claim `"true"` is not the YAML `true`, nor `"3"` the number 3. */
function claimMatches (value: unknown, allowed: readonly unknown[]): boolean {
  if (Array.isArray(value)) return value.some(v => allowed.includes(v))
  return allowed.includes(value)
}

/**
 * The permission checks that follow authentication, in this order: client allow-list,
 * user-to-client binding, scopes, claims. A rule that needs a principal the request
 * does not carry (an optional one left out) answers 401, so the caller knows what to send.
 */
export function authorize (route: RouteAuthz, identity: Identity): void {
  const { client, user } = identity

  if (route.clients !== undefined) {
    if (client === undefined) throw missing(route, 'client', 'clients allow-list')
    if (!route.clients.has(client.id)) throw new GatehouseError('forbidden', `client "${client.id}" may not use this route`)
  }

  if (route.bindUserToClient && user !== undefined) {
    // A user token is accepted only together with the app it was issued to: no app, no binding, no entry.
    if (client === undefined) throw missing(route, 'client', 'bindUserToClient')
    if (user.boundClient !== undefined) {
      if (user.boundClient !== client.id) {
        throw new GatehouseError('client_mismatch', `the user token belongs to client "${user.boundClient}", not "${client.id}"`)
      }
    } else {
      if (user.tokenClientId === undefined) {
        throw new GatehouseError('client_mismatch', 'the user token names no client (azp or client_id), so it cannot be bound to the calling client')
      }
      if (!client.client.userTokenClients.includes(user.tokenClientId)) {
        throw new GatehouseError(
          'client_mismatch',
          `the user token was issued to "${user.tokenClientId}", which is not one of client "${client.id}"'s userTokenClients`
        )
      }
    }
  }

  if (route.scopes.length > 0) {
    const holder = user ?? client
    if (holder === undefined) throw missing(route, route.userAuth.length > 0 ? 'user' : 'client', 'scopes')
    const absent = route.scopes.filter(s => !holder.scopes.includes(s))
    if (absent.length > 0) {
      throw new GatehouseError('insufficient_scope', `the ${holder.kind} lacks scope ${absent.join(' ')}`, {
        challenges: [{ scheme: 'Bearer', params: { realm: 'gatehouse', error: 'insufficient_scope', scope: route.scopes.join(' ') } }]
      })
    }
  }

  if (route.requireClaims.length > 0) {
    if (user === undefined) throw missing(route, 'user', 'require.claims')
    for (const [claim, allowed] of route.requireClaims) {
      if (!claimMatches(user.claims[claim], allowed)) throw new GatehouseError('forbidden', `claim "${claim}" does not have an allowed value`)
    }
  }
}
