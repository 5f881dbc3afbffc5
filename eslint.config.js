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
      '@stylistic/max-len': ['error', { code: 160, ignoreUrls: true }]
    }
  }
]
