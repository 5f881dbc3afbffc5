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

/** Every relative import (type-only ones too: they tie the files together just the same). */
function importGraph (): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of LAYERS.flatMap(l => sources(join(ROOT, l)))) {
    const text = readFileSync(file, 'utf8')
    const targets = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*['"](\.[^'"]+)['"]/gm)]
      .map(m => relative(ROOT, normalize(join(dirname(file), (m[1] as string).replace(/\.js$/, '.ts')))))
    graph.set(relative(ROOT, file), targets)
  }
  return graph
}

const layerOf = (file: string): number => LAYERS.indexOf(file.split('/')[0] as typeof LAYERS[number])

t.test('imports point one way: cli/ -> runtime/ -> http/ -> src/, never up a layer', async t => {
  const upward: string[] = []
  for (const [file, targets] of importGraph()) {
    for (const target of targets) if (layerOf(target) > layerOf(file)) upward.push(`${file} -> ${target}`)
  }
  t.same(upward, [], 'no import from a lower layer to a higher one')
})

t.test('no import cycles among the gateway\'s own modules', async t => {
  const graph = importGraph()
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (file: string): void => {
    state.set(file, 'open')
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' -> '))
      else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of graph.keys()) if (!state.has(file)) visit(file)
  t.same(cycles, [], 'no cycle')
  t.ok(graph.size > 50, `the graph was read (${graph.size} modules)`)
})

t.test('src/ is framework-free: nothing in it imports fastify or a @fastify/ package', async t => {
  const found: string[] = []
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*['"]((?:fastify|@fastify\/)[^'"]*)['"]/gm)) {
      found.push(`${relative(ROOT, file)} -> ${m[1] as string}`)
    }
    for (const m of text.matchAll(/\bimport\(\s*['"]((?:fastify|@fastify\/)[^'"]*)['"]\s*\)/g)) found.push(`${relative(ROOT, file)} -> ${m[1] as string}`)
  }
  t.same(found, [], 'no Fastify in the core')
})
