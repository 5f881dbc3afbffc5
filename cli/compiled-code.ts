import module from 'node:module'

/** Told by a running gateway once it serves: the launcher (cli/launch.ts) keeps what the start compiled. */
export const COMPILED_EVENT = 'gatehouse:compiled'

/**
 * Node writes its compile cache (cli/launch.ts turns it on) when a process exits normally, and
 * the launcher its code cache too, so a gateway that is killed, or only ever replaced, would
 * never store what its start compiled, and every start would compile it again. Both are written
 * once the gateway serves, off the start's own path.
 */
export function keepCompiledCode (): void {
  setTimeout(() => {
    const { flushCompileCache } = module as { flushCompileCache?: () => void }
    flushCompileCache?.()
    const events: NodeJS.EventEmitter = process
    events.emit(COMPILED_EVENT)
  }, 1000).unref()
}
