/** How paths are matched: never weaker than the upstreams' own matching (docs/routing.md, "Path matching"). */
export interface RoutingConfig {
  caseSensitive: boolean
  ignoreTrailingSlash: boolean
  allowSemicolons: boolean
  maxParamLength: number
}
