import { clientsYaml } from './gateway.js'
import { USER_AUTH_YAML } from './user-token.js'

export const DECISIONS_TOKEN = 'decisions-token-for-the-tests-0123456789'

/**
 * A gateway with the decision API on a free port, one route per policy kind, a rate-limited
 * route and a signed assertion. `server` adds lines to the server block (indented).
 */
export function decisionsYaml (upstream: string, server = ''): string {
  return `server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  decisions: 127.0.0.1:0
  decisionsToken: ${DECISIONS_TOKEN}
${server}${clientsYaml()}
authenticators:
  appKey: { type: apiKey }
${USER_AUTH_YAML}
identity:
  assertion: { header: Remote-Identity, ttl: 60s }
upstreams:
  web: { url: "${upstream}" }
routes:
  - { match: /public/*, upstream: web, policy: public }
  - { match: /client/*, upstream: web, policy: client, client: [appKey] }
  - { match: /user/*, upstream: web, policy: user, user: [idp] }
  - { match: /both/*, upstream: web, policy: client+user, client: [appKey], user: [idp] }
  - { match: /limited/*, upstream: web, policy: user, user: [idp], rateLimit: { max: 2, window: 1m, by: user } }
`
}

/** The identity headers the recipe copies from the decision to the upstream request. */
const TOLD = [
  ['user', 'Remote-User'],
  ['client', 'Remote-Client'],
  ['scopes', 'Remote-Scopes'],
  ['auth', 'Remote-Auth'],
  ['identity', 'Remote-Identity']
] as const

/**
 * docs/decisions.md's nginx recipe, as the tests run it: `decisions` is host:port of the
 * decision API, `upstream` the app's URL. `cache` adds the auth location's proxy_cache.
 * `keepalive`: idle connections to the decision API nginx keeps (the recipe's 8); under more
 * concurrent requests than that, nginx closes the surplus after each answer.
 */
export function nginxRecipe (
  options: { port: number, decisions: string, upstream: string, token: string, cache?: boolean, login?: string, keepalive?: number }
): string {
  const set = TOLD.map(
    ([v, h]) => `      auth_request_set $gatehouse_${v} $upstream_http_${h.toLowerCase().replaceAll('-', '_')};\n      proxy_set_header ${h} $gatehouse_${v};`
  ).join('\n')
  const cache = options.cache === true
    ? `      proxy_cache gatehouse;
      proxy_cache_key "$request_method $request_uri|$http_authorization|$http_x_api_key|$http_cookie|$http_sec_websocket_key";
      proxy_cache_methods GET HEAD POST;
`
    : ''
  const login = options.login === undefined
    ? ''
    : `      auth_request_set $gatehouse_location $upstream_http_location;
      auth_request_set $gatehouse_cookie $upstream_http_set_cookie;
      error_page 401 = @gatehouse_login;
`
  const loginLocations = options.login === undefined
    ? ''
    : `    location @gatehouse_login {
      if ($gatehouse_location = "") { return 401; }
      add_header Set-Cookie $gatehouse_cookie always;
      return 302 $gatehouse_location;
    }
    location /oauth2/ {
      proxy_set_header Host $http_host;
      proxy_pass ${options.login};
    }
`
  return `  proxy_cache_path {dir}/cache levels=1:2 keys_zone=gatehouse:1m max_size=10m inactive=5m use_temp_path=off;
  upstream gatehouse_decisions { server ${options.decisions}; keepalive ${options.keepalive ?? 8}; }
  map $http_upgrade $gatehouse_connection { default upgrade; '' ''; }
  server {
    listen 127.0.0.1:${options.port};
    location / {
      auth_request /_gatehouse;
${set}
      auth_request_set $gatehouse_status $upstream_status;
      auth_request_set $gatehouse_retry_after $upstream_http_retry_after;
      # Any other refusal than 401/403 is an error to auth_request: a 429 is told as one.
      error_page 500 = @gatehouse_error;
${login}      # The credentials were the gateway's to read, not the app's.
      proxy_set_header Authorization "";
      proxy_set_header X-API-Key "";
      # WebSockets: the handshake is decided as one (the subrequest carries Sec-WebSocket-Key), then switched here.
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $gatehouse_connection;
      proxy_pass ${options.upstream};
    }
    location @gatehouse_error {
      if ($gatehouse_status = 429) {
        add_header Retry-After $gatehouse_retry_after always;
        return 429;
      }
      return 500;
    }
${loginLocations}    location = /_gatehouse {
      internal;
      proxy_pass http://gatehouse_decisions/nginx;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Gatehouse-Decisions-Token "${options.token}";
      proxy_http_version 1.1;
      proxy_set_header Connection "";
${cache}    }
  }
`
}
