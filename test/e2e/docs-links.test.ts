import t from 'tap'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { ROOT } from '../helpers/paths.js'

const root = ROOT
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter(f => f.endsWith('.md')).map(f => join('docs', f))]

const withoutFences = (text: string): string => text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')

/** Markdown without its fenced code blocks and code spans: links there are examples, not links. */
function prose (text: string): string {
  return withoutFences(text).replace(/`[^`\n]*`/g, '``')
}

/** The anchors GitHub gives a page's headings (github-slugger: lowercase, punctuation dropped, spaces to -, repeats numbered). */
function anchors (text: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const [, heading] of withoutFences(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = heading.replace(/`/g, '').toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

function links (text: string): string[] {
  return [...prose(text).matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(m => m[1])
}

t.test('every relative link in README.md and docs/ resolves, anchors included', async t => {
  const broken: string[] = []
  for (const page of pages) {
    const text = readFileSync(join(root, page), 'utf8')
    for (const link of links(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue
      const [path, anchor] = link.split('#', 2) as [string, string | undefined]
      const target = path === '' ? join(root, page) : resolve(dirname(join(root, page)), decodeURIComponent(path))
      if (!existsSync(target)) {
        broken.push(`${page}: ${link} (no ${relative(root, target)})`)
        continue
      }
      if (anchor !== undefined && anchor !== '' && statSync(target).isFile() && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor)) {
        broken.push(`${page}: ${link} (no heading #${anchor} in ${relative(root, target)})`)
      }
    }
  }
  t.same(broken, [], broken.length === 0 ? 'every link resolves' : `broken links:\n${broken.join('\n')}`)
})

t.test('the link check finds a missing file and a missing heading', async t => {
  t.same(links('[a](docs/x.md) `[b](no.md)` [c](https://e.example/) [d](#top)'), ['docs/x.md', 'https://e.example/', '#top'])
  t.ok(anchors('# Top\n## `mtls`: client certificates\n## Top\n').has('mtls-client-certificates'))
  t.ok(anchors('# Top\n## Top\n').has('top-1'))
  t.notOk(anchors('# Top\n```\n# not a heading\n```\n').has('not-a-heading'))
})
