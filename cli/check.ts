import { parseArgs } from 'node:util'
import { formatWarning } from '../src/config/load.js'
import { loadConfig } from '../src/load-config.js'
import { reportConfigError, shown } from './config-errors.js'

/** `gatehouse check`: the config loaded as `start` loads it, warnings printed, nothing started. */
export async function check (args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, strict: { type: 'boolean' } }, allowPositionals: false })
  try {
    const config = await loadConfig(values.config ?? process.env.GATEHOUSE_CONFIG ?? 'gateway.config.yaml')
    for (const w of config.warnings) process.stderr.write(`${formatWarning({ ...w, file: shown(w.file) })}\n`)
    const warnings = config.warnings.filter(w => w.level === 'warning').length
    const hints = config.warnings.length - warnings
    const noted = [warnings > 0 ? `${warnings} warning${warnings === 1 ? '' : 's'}` : '', hints > 0 ? `${hints} hint${hints === 1 ? '' : 's'}` : ''].filter(
      s => s !== ''
    )
    process.stdout.write(
      `${shown(config.file)}: ok (${config.routes.length} routes, ${config.clients.size} clients, ${config.authenticators.size} ` +
        `authenticators, ${config.upstreams.size} upstreams)${noted.length === 0 ? '' : `, ${noted.join(', ')}`}\n`
    )
    // --strict fails on warnings; hints never fail a check.
    return values.strict === true && warnings > 0 ? 1 : 0
  } catch (err) {
    return reportConfigError(err)
  }
}
