/**
 * The configuration reference (docs/configuration.md), rendered from the TypeBox schema's
 * descriptions and defaults: `npm run schema` writes it, and a test fails when the
 * committed page and the schema disagree.
 */
import type { TSchema } from '@sinclair/typebox'
import { AUTHENTICATOR_SCHEMAS, ConfigSchema, VALUE_FORMATS, type AuthenticatorType } from './schema.js'

/** One key of the config, anywhere in it. */
export interface SchemaKey {
  /** Dotted path: `server.routing.caseSensitive`, `clients[].apiKeys[].hash`, `authenticators.<name>.issuer`. */
  path: string
  schema: TSchema
  required: boolean
  /** The authenticator type the key belongs to, for keys under `authenticators`. */
  variant?: string
}

type Node = TSchema & {
  title?: string
  description?: string
  default?: unknown
  const?: unknown
  type?: string
  properties?: Record<string, TSchema>
  patternProperties?: Record<string, TSchema>
  required?: string[]
  items?: TSchema
  anyOf?: TSchema[]
}

const join = (prefix: string, key: string): string => prefix === '' ? key : `${prefix}.${key}`

/** Every key below `schema`; a value format (a schema with a title) is documented once, not walked into. */
export function * schemaKeys (schema: TSchema, prefix = '', variant?: string): Generator<SchemaKey> {
  const s = schema as Node
  if (prefix !== '' && s.title !== undefined) return
  if (s.properties !== undefined) {
    const typeConst = (s.properties.type as Node | undefined)?.const
    const own = variant ?? (typeof typeConst === 'string' ? typeConst : undefined)
    for (const [key, child] of Object.entries(s.properties)) {
      const path = join(prefix, key)
      yield { path, schema: child, required: s.required?.includes(key) ?? false, ...(own === undefined ? {} : { variant: own }) }
      yield * schemaKeys(child, path, own)
    }
  }
  for (const value of Object.values(s.patternProperties ?? {})) yield * schemaKeys(value, join(prefix, '<name>'), variant)
  if (s.items !== undefined) yield * schemaKeys(s.items, `${prefix}[]`, variant)
  for (const branch of s.anyOf ?? []) yield * schemaKeys(branch, prefix, variant)
}

/** Keys without a description, as `path` (with the authenticator type when there is one). */
export function undocumentedKeys (schema: TSchema = ConfigSchema): string[] {
  return [...schemaKeys(schema)]
    .filter(k => typeof (k.schema as Node).description !== 'string' || (k.schema as Node).description?.trim() === '')
    .map(k => k.variant === undefined ? k.path : `${k.path} (type: ${k.variant})`)
}

const formatName = (s: Node): string | undefined =>
  s.title === undefined ? undefined : Object.entries(VALUE_FORMATS).find(([, f]) => (f as Node).title === s.title)?.[0]

function typeOf (schema: TSchema): string {
  const s = schema as Node
  const format = formatName(s)
  if (format !== undefined) return `[${format}](#value-formats)`
  if (s.const !== undefined) return `\`${String(s.const)}\``
  if (s.anyOf !== undefined) return [...new Set(s.anyOf.map(typeOf))].join(' or ')
  if (s.type === 'array' && s.items !== undefined) {
    const items = typeOf(s.items)
    return `list of ${items.includes(' or ') ? `(${items})` : items}`
  }
  if (s.patternProperties !== undefined) return `map of ${Object.values(s.patternProperties).map(typeOf).join(' or ')}`
  return s.type ?? 'any'
}

function inline (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(v => String(v)).join(', ')}]`
  return String(value)
}

/** Markdown-escapes prose outside `code spans`: the descriptions are plain text in editors. */
function prose (text: string): string {
  return text.split(/(`[^`]*`)/).map((part, i) => i % 2 === 1
    ? part
    : part.replace(/[\\|*_<>[\]]/g, c => c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`)).join('')
}

function row (key: SchemaKey, relative: string): string {
  const s = key.schema as Node
  const dflt = key.required ? 'required' : s.default === undefined ? '' : `\`${inline(s.default)}\``
  return `| \`${relative}\` | ${typeOf(s)} | ${dflt} | ${prose(s.description ?? '')} |`
}

const HEADER = ['| key | type | default | meaning |', '|---|---|---|---|']

/** Where each part of the config is explained at length. */
const PAGES: Record<string, string> = {
  server: '[routing.md](routing.md) (paths, forwarding) and [operations.md](operations.md) (listeners, workers, TLS, signals)',
  cache: '[cache.md](cache.md)',
  identity: '[identity-headers.md](identity-headers.md) and [assertion.md](assertion.md)',
  tokens: '[client-tokens.md](client-tokens.md)',
  clients: '[clients.md](clients.md) and [client-tokens.md](client-tokens.md)',
  authenticators: 'the page of each type below',
  upstreams: '[routing.md](routing.md#forwarding)',
  routes: '[routing.md](routing.md), [authorization.md](authorization.md) and [websockets.md](websockets.md)'
}
// Every type, or the compiler says which lacks its page (the reference once said "More: undefined.").
const AUTHENTICATOR_PAGES: Record<AuthenticatorType, string> = {
  apiKey: '[clients.md](clients.md#api-keys)',
  clientToken: '[client-tokens.md](client-tokens.md)',
  mtls: '[clients.md](clients.md#client-certificates-mtls)',
  jwt: '[jwt.md](jwt.md)',
  introspection: '[introspection.md](introspection.md)',
  basic: '[basic-auth.md](basic-auth.md)',
  userToken: '[user-tokens.md](user-tokens.md)',
  oidc: '[browser-login.md](browser-login.md)'
}
/** How a path below each top-level key is shown in its table: `clients[].id` as `id`. */
const SECTION_PREFIX: Record<string, string> = {
  clients: 'clients[].',
  upstreams: 'upstreams.<name>.',
  routes: 'routes[].',
  authenticators: 'authenticators.<name>.'
}

const INTRO = `# Configuration reference

<!-- Generated from src/config/schema.ts by \`npm run schema\`: edit the schema's descriptions, not this page. -->

\`gateway.config.yaml\` is YAML. \`\${VAR}\` and \`\${VAR:-default}\` are taken from the
environment in any value (an unset variable without default is an error; an empty one
counts as unset). \`VAR_FILE\` instead of \`VAR\` names a file holding the value (Docker and
Kubernetes secrets), its final newline dropped; setting both is an error. Relative paths are relative to the config file. The JSON Schema is
[\`schema/gateway.config.schema.json\`](../schema/gateway.config.schema.json), generated from the
same types; editors pick it up with
\`# yaml-language-server: $schema=./schema/gateway.config.schema.json\`.

Every config error names the file, line, column and key, and the gateway refuses to start
(or a reload keeps the config in force) on any of them:

\`\`\`
gateway.config.yaml:7:5 routes[0].colour: unknown key
gateway.config.yaml:9:15 routes[1].upstream: unknown upstream "ordres" (declared: orders)
gateway.config.yaml:12:13 routes[2].policy: requires a user but the route lists no user authenticators (add user: [...])
\`\`\`

\`gatehouse check -c gateway.config.yaml\` reports them without starting. An empty default
column means the key is off or empty when left out (or, as the meaning says, derived).`

/** docs/configuration.md as a string. */
export function configReference (): string {
  const root = ConfigSchema as Node
  const out: string[] = [INTRO, '', '## Value formats', '', '| name | form |', '|---|---|']
  for (const [name, f] of Object.entries(VALUE_FORMATS)) out.push(`| ${name} | ${prose((f as Node).title ?? '')} |`)
  out.push('', '## Top-level keys', '', ...HEADER)
  for (const [key, s] of Object.entries(root.properties ?? {})) {
    const link = key === '$schema' ? `\`${key}\`` : `[\`${key}\`](#${key})`
    out.push(row({ path: key, schema: s, required: root.required?.includes(key) ?? false }, key).replace(`\`${key}\``, link))
  }
  for (const [top, s] of Object.entries(root.properties ?? {})) {
    if (top === '$schema') continue
    out.push('', `## \`${top}\``, '', prose((s as Node).description ?? ''), '')
    if (PAGES[top] !== undefined) out.push(`More: ${PAGES[top]}.`, '')
    const prefix = SECTION_PREFIX[top] ?? `${top}.`
    if (top === 'authenticators') {
      for (const [type, auth] of Object.entries(AUTHENTICATOR_SCHEMAS)) {
        out.push(
          `### \`type: ${type}\``,
          '',
          `${prose((auth as Node).description ?? '')}. More: ${AUTHENTICATOR_PAGES[type as AuthenticatorType]}.`,
          '',
          ...HEADER
        )
        for (const k of schemaKeys(auth)) out.push(row(k, k.path))
        out.push('')
      }
      out.pop()
      continue
    }
    out.push(...HEADER)
    for (const k of schemaKeys(s, top)) out.push(row(k, k.path.startsWith(prefix) ? k.path.slice(prefix.length) : k.path.slice(top.length + 1)))
  }
  return `${out.join('\n')}\n`
}
