import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { ROOT } from '../helpers/paths.js'

const LAYERS = ['src', 'http', 'runtime', 'cli'] as const

function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []
  )
}

/**
 * What a file imports: static imports and re-exports (type-only ones too: they tie the files together just the same),
 * bare imports, and dynamic `import(specifier)` and `require(specifier)`: loaded later, but a dependency all the same.
 */
function specifiers (text: string): string[] {
  const IMPORT = /^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/gm
  return [...text.matchAll(IMPORT)].map(m => m[1] ?? m[2] ?? m[3] as string)
}

/** Every relative import of the gateway's own modules, file to file, as paths from the repository root. */
function importGraph (): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of LAYERS.flatMap(l => sources(join(ROOT, l)))) {
    const targets = specifiers(readFileSync(file, 'utf8')).filter(s => s.startsWith('.'))
      .map(s => relative(ROOT, normalize(join(dirname(file), s.replace(/\.js$/, '.ts')))))
    graph.set(relative(ROOT, file), [...new Set(targets)])
  }
  return graph
}

/**
 * One cycle for each edge that closes one in a depth-first walk, as the path around it. Every
 * cycle of the graph runs through at least one of these edges, so none reported means none at all.
 */
function cyclesOf (graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (node: string): void => {
    state.set(node, 'open')
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next])
      else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node)
  return cycles
}

/** A src/ file's folder (`src/auth`), or the file itself when it sits in src/ directly (`src/clock.ts`). */
const unitOf = (file: string): string => file.split('/').length > 2 ? file.split('/').slice(0, 2).join('/') : file

/** The folders of src/ (and its loose files), each with the folders it imports and the file imports that make each edge. */
function folderGraph (): Map<string, Map<string, string[]>> {
  const folders = new Map<string, Map<string, string[]>>()
  for (const [file, targets] of importGraph()) {
    if (!file.startsWith('src/')) continue
    const from = unitOf(file)
    const edges = folders.get(from) ?? new Map<string, string[]>()
    folders.set(from, edges)
    for (const target of targets) {
      const to = unitOf(target)
      if (to !== from) edges.set(to, [...edges.get(to) ?? [], `${file} -> ${target}`])
    }
  }
  return folders
}

const layerOf = (file: string): number => LAYERS.indexOf(file.split('/')[0] as typeof LAYERS[number])

t.test('imports point one way: cli/ -> runtime/ -> http/ -> src/, never up a layer', async t => {
  const upward: string[] = []
  for (const [file, targets] of importGraph()) {
    for (const target of targets) if (layerOf(target) > layerOf(file)) upward.push(`${file} -> ${target}`)
  }
  t.same(upward, [], 'no import from a lower layer to a higher one')
})

t.test('no import cycles among the gateway\'s own modules (cli/, runtime/, http/, src/), file to file', async t => {
  const graph = importGraph()
  t.same(cyclesOf(graph).map(c => c.join(' -> ')), [], 'no cycle')
  t.ok(graph.size > 50, `the graph was read (${graph.size} modules)`)
})

t.test('no import cycles between the folders of src/: config at the bottom, the decision on top', async t => {
  const folders = folderGraph()
  const graph = new Map([...folders].map(([from, edges]) => [from, [...edges.keys()].sort()]))
  // Each cycle with the file imports behind each of its steps: one of them has to go.
  const cycles = cyclesOf(graph).map(cycle => [
    cycle.join(' -> '),
    ...cycle.slice(1).map((to, i) => `  ${cycle[i] as string} -> ${to}: ${(folders.get(cycle[i] as string)?.get(to) ?? []).join(', ')}`)
  ].join('\n'))
  t.same(cycles, [], 'no cycle between folders')
  t.ok(['src/config', 'src/decision', 'src/auth'].every(f => folders.has(f)), `the folders were read (${[...folders.keys()].join(', ')})`)
})

t.test('src/ is framework-free: nothing in it imports fastify or a @fastify/ package', async t => {
  const found: string[] = []
  for (const file of sources(join(ROOT, 'src'))) {
    for (const s of specifiers(readFileSync(file, 'utf8'))) if (/^(?:fastify|@fastify\/)/.test(s)) found.push(`${relative(ROOT, file)} -> ${s}`)
  }
  t.same(found, [], 'no Fastify in the core')
})
