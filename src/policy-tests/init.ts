import { stringify } from 'yaml'
import type { GatewayConfig, RouteConfig } from '../config/types.js'
import type { PolicyName } from '../config/schema.js'

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

/** A path the route's pattern matches: each `:param` as 1, a trailing `*` as `example`. */
function samplePath (match: string): string {
  return match.split('/').map(s => s.startsWith(':') ? '1' : s === '*' ? 'example' : s).join('/')
}

function needs (policy: PolicyName): { client: boolean, user: boolean } {
  return { client: policy === 'client' || policy === 'client+user', user: policy === 'user' || policy === 'client+user' }
}

function clientFor (config: GatewayConfig, route: RouteConfig): { id: string, credential: Json } | undefined {
  const candidates = [...config.clients.values()].filter(
    c => !c.disabled && (route.clients === undefined || route.clients.has(c.id)) && route.scopes.every(s => c.scopes.includes(s))
  )
  for (const name of route.client) {
    const type = config.authenticators.get(name)?.type
    const client = type === 'mtls' ? candidates.find(c => c.certificate !== undefined) : candidates[0]
    if (client === undefined) continue
    if (type === 'apiKey') return { id: client.id, credential: { apiKey: client.id } }
    if (type === 'clientToken') return { id: client.id, credential: { clientToken: client.id } }
    if (type === 'mtls') return { id: client.id, credential: { certificate: client.id } }
  }
  return undefined
}

function userFor (config: GatewayConfig, route: RouteConfig, clientId: string | undefined): { [k: string]: Json } | undefined {
  const claims: { [k: string]: Json } = Object.fromEntries([...route.requireClaims].map(([claim, values]) => [claim, values[0] as Json]))
  const scopes: Record<string, Json> = route.scopes.length === 0 ? {} : { scopes: [...route.scopes] }
  const azp: string | undefined = route.bindUserToClient && clientId !== undefined ? config.clients.get(clientId)?.userTokenClients[0] : undefined
  for (const name of route.user) {
    const type = config.authenticators.get(name)?.type
    if (type === 'jwt') {
      return { jwt: name, sub: 'alice', ...scopes, ...(azp === undefined ? {} : { azp }), ...(Object.keys(claims).length === 0 ? {} : { claims }) }
    }
    if (type === 'introspection') {
      return {
        introspection: name,
        sub: 'alice',
        ...scopes,
        ...(Object.keys(claims).length === 0 ? {} : { claims: { ...claims, ...(azp === undefined ? {} : { client_id: azp }) } })
      }
    }
    if (type === 'userToken' && Object.keys(claims).length === 0) {
      return { userToken: name, user: 'alice', ...scopes, ...(route.bindUserToClient && clientId !== undefined ? { client: clientId } : {}) }
    }
  }
  return undefined
}

/**
 * A starter case file for a config: for each route and each policy it applies (per method),
 * one request it should allow and one it should refuse. The operator edits it from there;
 * a route whose credentials cannot be made for a test (basic, oidc sessions) gets its refusal only.
 */
export function starterCases (config: GatewayConfig): string {
  const cases: Json[] = []
  for (const route of config.routes) {
    const byPolicy = new Map<PolicyName, string>()
    for (const method of route.methods) {
      const policy = route.policy[method]
      if (policy !== undefined && !byPolicy.has(policy)) byPolicy.set(policy, method)
    }
    for (const [policy, method] of byPolicy) {
      const path = samplePath(route.match)
      const need = needs(policy)
      const client = need.client ? clientFor(config, route) : undefined
      const user = need.user ? userFor(config, route, client?.id) : undefined
      if ((!need.client || client !== undefined) && (!need.user || user !== undefined)) {
        const headers: Record<string, Json> = {}
        if (user !== undefined) headers[config.identity.headers.user] = 'alice'
        if (client !== undefined) headers[config.identity.headers.client] = client.id
        cases.push({
          name: `${method} ${path} is allowed (${policy})`,
          request: { method, path, ...(client === undefined ? {} : { client: client.credential }), ...(user === undefined ? {} : { user }) },
          expect: { allow: true, route: route.match, ...(Object.keys(headers).length === 0 ? {} : { headers }) }
        })
      }
      if (policy !== 'public') {
        cases.push({ name: `${method} ${path} without credentials is refused`, request: { method, path }, expect: { deny: 401, code: 'missing_credentials' } })
      }
    }
  }
  return `# Policy test cases for gatehouse: \`gatehouse test -c gateway.config.yaml cases.yaml\`.
# Written by \`gatehouse test --init\` from the config: one allowed and one refused request per
# route and policy. Edit them to say what must hold; docs/policy-tests.md has the format.
${stringify({ cases }, { lineWidth: 0 })}`
}
