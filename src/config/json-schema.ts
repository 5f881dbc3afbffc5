import { ConfigSchema } from './schema.js'

/** The JSON Schema of the config, for editors (`# yaml-language-server: $schema=...`) and other tools. */
export function configJsonSchema (): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'gatehouse/gateway.config.schema.json',
    ...JSON.parse(JSON.stringify(ConfigSchema)) as Record<string, unknown>
  }
}
