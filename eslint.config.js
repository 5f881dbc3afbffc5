// Lint and format in the fastify ecosystem's style: neostandard (standard, with TypeScript support)
// on every .ts, .js and .mjs file in the tree. `npm run lint` checks; `npx eslint . --fix` rewrites.
import neostandard, { resolveIgnoresFromGitignore } from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: [...resolveIgnoresFromGitignore(), 'coverage/**']
  }),
  {
    rules: {
      '@stylistic/max-len': ['error', { code: 160 }],
      // One-line type literals separate members with commas, as the rest of the codebase does ({ a: string, b: number }).
      '@stylistic/member-delimiter-style': ['error', { multiline: { delimiter: 'none' }, singleline: { delimiter: 'comma', requireLast: false } }],
      // `void promise` marks a promise deliberately not awaited (it handles its own failure), mostly in event handlers and timers.
      'no-void': 'off',
      // The config language substitutes ${NAME} from the environment: configs and their tests hold that text in plain strings.
      'no-template-curly-in-string': 'off',
      // Request targets, header values and identifiers are checked for control characters with regexes that name them.
      'no-control-regex': 'off',
      // Tests loop on a flag that an event handler or a timer clears; the rule cannot see writes made from closures.
      'no-unmodified-loop-condition': 'off',
      // prom-client registers a metric when it is constructed (registers: [registry]); a metric read only by its collect() is kept by nothing else.
      'no-new': 'off'
    }
  }
]
