import { GatehouseError, type Challenge } from '../errors.js'
import type { PolicyName } from '../config/schema.js'
import type { AuthRequest, Authenticator, ClientPrincipal, UserPrincipal } from '../auth/types.js'

/** A route with its authenticators resolved once, at load. */
export interface RouteAuth {
  policy: Readonly<Record<string, PolicyName>>
  clientAuth: readonly Authenticator[]
  userAuth: readonly Authenticator[]
}

export interface Identity {
  client: ClientPrincipal | undefined
  user: UserPrincipal | undefined
  /** Names of the authenticators that succeeded, client first. */
  authenticators: string[]
}

/** One challenge per scheme, in route order (two Bearer authenticators offer one Bearer). */
export function challengesOf (authenticators: readonly Authenticator[]): Challenge[] {
  const out: Challenge[] = []
  for (const a of authenticators) {
    if (!out.some(c => c.scheme === a.challenge.scheme)) out.push(a.challenge)
  }
  return out
}

type Found = { principal: ClientPrincipal | UserPrincipal, by: Authenticator } | undefined

/** A 401 from one of several accepted schemes: it carries its error, the other schemes are offered too. */
function refusal (authenticators: readonly Authenticator[], a: Authenticator, err: unknown): unknown {
  if (!(err instanceof GatehouseError && err.status === 401)) return err
  const own = err.challenges ?? [a.challenge]
  const others = challengesOf(authenticators).filter(c => !own.some(o => o.scheme === c.scheme))
  return new GatehouseError(err.code, err.detail, {
    cause: err.cause ?? err,
    challenges: [...own, ...others],
    principal: a.principal,
    authenticator: a.name,
    headers: err.headers
  })
}

/** The first authenticator (from `from` on) that takes the request: synchronous as long as each answer is. */
function firstOf (authenticators: readonly Authenticator[], req: AuthRequest, from = 0): Found | Promise<Found> {
  for (let i = from; i < authenticators.length; i++) {
    const a = authenticators[i] as Authenticator
    let principal
    try {
      principal = a.authenticate(req)
    } catch (err) {
      throw refusal(authenticators, a, err)
    }
    if (principal instanceof Promise) {
      return principal.then(
        p => p !== undefined ? { principal: p, by: a } : firstOf(authenticators, req, i + 1),
        (err: unknown) => { throw refusal(authenticators, a, err) }
      )
    }
    if (principal !== undefined) return { principal, by: a }
  }
  return undefined
}

/**
 * A credential header this route reads was sent, but no authenticator took it (a JWT of an
 * issuer none of them owns, a Basic header where only Bearer is taken): it is invalid,
 * never anonymous, and never forwarded as if unseen.
 */
function refuseUnclaimed (route: RouteAuth, req: AuthRequest, client: Authenticator | undefined, user: Authenticator | undefined): void {
  // Indexed loops: this runs on every authenticated request, and makes no list or iterator.
  for (let l = 0; l < 2; l++) {
    const list = l === 0 ? route.clientAuth : route.userAuth
    for (let i = 0; i < list.length; i++) {
      const a = list[i] as Authenticator
      const headers = a.consumes.headers
      for (let h = 0; h < headers.length; h++) {
        const header = headers[h] as string
        if (req.headers[header] === undefined || client?.consumes.headers.includes(header) === true || user?.consumes.headers.includes(header) === true) {
          continue
        }
        throw new GatehouseError(
          header === 'authorization' ? 'invalid_token' : 'invalid_credentials',
          `no authenticator of this route accepts the ${header} credential`,
          {
            challenges: challengesOf(list),
            principal: a.principal,
            authenticator: a.name
          }
        )
      }
    }
  }
}

/**
 * Runs the route's authenticators for the method's policy. A credential that is present is
 * always checked, whatever the policy: a bad key never silently becomes anonymous.
 */
export async function authenticate (route: RouteAuth, method: string, req: AuthRequest): Promise<Identity> {
  return await authenticateNow(route, method, req)
}

/** {@link authenticate}, its answer given synchronously when every authenticator's is (a credential seen before): the request path's. */
export function authenticateNow (route: RouteAuth, method: string, req: AuthRequest): Identity | Promise<Identity> {
  const client = firstOf(route.clientAuth, req)
  if (client instanceof Promise) return client.then(async c => identityOf(route, method, req, c, await firstOf(route.userAuth, req)))
  const user = firstOf(route.userAuth, req)
  return user instanceof Promise ? user.then(u => identityOf(route, method, req, client, u)) : identityOf(route, method, req, client, user)
}

function identityOf (route: RouteAuth, method: string, req: AuthRequest, client: Found, user: Found): Identity {
  const policy = route.policy[method] ?? 'client+user'
  refuseUnclaimed(route, req, client?.by, user?.by)
  const missingClient = client === undefined && (policy === 'client' || policy === 'client+user')
  const missingUser = user === undefined && (policy === 'user' || policy === 'client+user')
  if (missingClient || missingUser) {
    const which = missingClient && missingUser ? 'client and user credentials are' : missingClient ? 'a client credential is' : 'a user credential is'
    const challenges = challengesOf([...(missingClient ? route.clientAuth : []), ...(missingUser ? route.userAuth : [])])
    throw new GatehouseError('missing_credentials', `${which} required`, { challenges, principal: missingClient ? 'client' : 'user' })
  }
  return {
    client: client?.principal as ClientPrincipal | undefined,
    user: user?.principal as UserPrincipal | undefined,
    authenticators: client === undefined ? (user === undefined ? [] : [user.by.name]) : user === undefined ? [client.by.name] : [client.by.name, user.by.name]
  }
}
