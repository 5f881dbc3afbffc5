/**
 * A CommonJS package loaded when first needed (`load` is its `import()`), with its exports as
 * `require` gives them. Node's own `import()` of a CommonJS module names its exports; the
 * bundle `npm run build` makes (dist/bundle) has only `default` for them, which is
 * `module.exports` in both.
 */
export async function importCommonJs<T extends object> (load: () => Promise<T>): Promise<T> {
  const loaded = await load()
  return ((loaded as { default?: unknown }).default ?? loaded) as T
}
