// `npm run coverage` measures the framework-free core: every test, unit or end-to-end, is
// credited with the lines of src/ it runs, and nothing else is counted.
import { readdirSync } from 'node:fs'

const core = readdirSync('src', { recursive: true, withFileTypes: true })
  .filter(entry => entry.isFile() && entry.name.endsWith('.ts'))
  .map(entry => `${entry.parentPath}/${entry.name}`)

export default () => core
