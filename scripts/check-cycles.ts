/**
 * Fails when the project's own modules import each other in a circle (type-only imports count:
 * a newcomer reading the code follows them too). Reads the relative imports of every .ts/.tsx
 * file under control/, edge/, ui/src/, platform/, bench/, scripts/ and test/, finds the strongly connected
 * components (Tarjan) and prints each circle. Run by `npm run lint`.
 */
import fs from 'node:fs'
import path from 'node:path'

const ROOTS = ['agent', 'control', 'edge', 'ui/src', 'platform', 'bench', 'scripts', 'test']
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : files(p)
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : []
  })
}

/** `./x.js` from a/b.ts → a/x.ts or a/x.tsx, as TypeScript resolves it. */
function resolve(from: string, spec: string): string | undefined {
  const base = path.join(path.dirname(from), spec).replace(/\.js$/, '')
  return ['.ts', '.tsx', '/index.ts'].map((ext) => base + ext).find((p) => fs.existsSync(p))
}

const graph = new Map<string, string[]>()
for (const file of ROOTS.flatMap(files)) {
  const text = fs.readFileSync(file, 'utf8')
  const deps: string[] = []
  for (const m of text.matchAll(IMPORT)) {
    const target = resolve(file, m[1] as string)
    if (target) deps.push(target)
  }
  graph.set(file, deps)
}

// Tarjan's strongly connected components.
let index = 0
const indices = new Map<string, number>()
const low = new Map<string, number>()
const stack: string[] = []
const onStack = new Set<string>()
const circles: string[][] = []
function visit(v: string): void {
  indices.set(v, index)
  low.set(v, index++)
  stack.push(v)
  onStack.add(v)
  for (const w of graph.get(v) ?? []) {
    if (!indices.has(w)) {
      visit(w)
      low.set(v, Math.min(low.get(v) as number, low.get(w) as number))
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, indices.get(w) as number))
  }
  if (low.get(v) === indices.get(v)) {
    const component: string[] = []
    let w: string
    do {
      w = stack.pop() as string
      onStack.delete(w)
      component.push(w)
    } while (w !== v)
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(component.sort())
  }
}
for (const v of graph.keys()) if (!indices.has(v)) visit(v)

if (circles.length > 0) {
  console.error(`import circles (${circles.length}):`)
  for (const c of circles) console.error(`  ${c.join(' ⇄ ')}`)
  process.exit(1)
}
console.log(`no import circles among ${graph.size} modules`)
