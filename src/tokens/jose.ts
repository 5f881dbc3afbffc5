type Jose = typeof import('jose')

let loading: Promise<Jose> | undefined
let loaded: Jose | undefined

/**
 * jose, loaded by the first key the gateway makes or imports: a config that neither issues nor
 * checks the gateway's own tokens starts without it (bench/RESULTS.md, cold start).
 */
export async function jose (): Promise<Jose> {
  loading ??= import('jose').then(m => (loaded = m))
  return await loading
}

/** jose for a synchronous caller, which only runs once a key set exists (and so jose is loaded). */
export function joseLoaded (): Jose {
  if (loaded === undefined) throw new Error('jose is used before any signing key was loaded')
  return loaded
}
