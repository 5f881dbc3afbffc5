import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml'

/**
 * Where the value (or, with `atKey`, the key) at `segments` starts in a YAML document: the
 * deepest node that exists along the path, so a missing key is reported at its parent. Config
 * errors and policy case file errors are both located this way.
 */
export function positionOf (doc: Document, lines: LineCounter, segments: ReadonlyArray<string | number>, atKey = false): { line: number, col: number } {
  let node: unknown = doc.contents
  let found: Node | null = doc.contents
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]
    if (isMap(node)) {
      const pair = node.items.find(p => (isScalar(p.key) ? p.key.value : p.key) === seg)
      if (pair === undefined) break
      found = (i === segments.length - 1 && atKey) || pair.value === null ? pair.key as Node : pair.value as Node
      node = pair.value
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      found = node.items[seg] as Node
      node = found
    } else {
      break
    }
  }
  return lines.linePos(found?.range?.[0] ?? 0)
}
