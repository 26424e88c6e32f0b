#!/usr/bin/env node
/**
 * Checks src/ against the floor plan in docs/ARCHITECTURE.md (the fenced ```floors block, top floor first):
 * a file may import files of its own folder and of any lower floor, never a higher floor nor another folder
 * of its own floor, and no import cycle may exist. The plan lives in the doc so doc and check never disagree.
 * Also holds web/ (the dashboard's browser code) to its own files and type-only imports (browserProblems).
 * Run by `npm run lint`; exits 1 listing every violation as "from -> to: why".
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src')
/** Static `import … from '…'`, `export … from '…'`, side-effect `import '…'` and dynamic `import('…')`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g

/** Floors from the doc, lowest first: each a list of folders relative to src/ ("." for files in src/ itself). */
function readFloors() {
  const doc = readFileSync(join(root, 'docs', 'ARCHITECTURE.md'), 'utf8')
  const block = /```floors\n([^]*?)```/.exec(doc)
  if (block === null) throw new Error('docs/ARCHITECTURE.md has no ```floors block')
  return block[1]
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.length > 0)
    .map((line) => line.split(/\s+/))
    .reverse()
}

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : []
  })
}

/** The floor index and folder of a file: the longest listed folder that contains it. */
function placeOf(file, floors) {
  const folder = relative(src, dirname(file)) || '.'
  let best = null
  floors.forEach((folders, floor) => {
    for (const f of folders) {
      const inside = f === '.' ? folder === '.' : folder === f || folder.startsWith(`${f}/`)
      if (inside && (best === null || f.length > best.folder.length)) best = { floor, folder: f }
    }
  })
  return best
}

function importsOf(file) {
  const text = readFileSync(file, 'utf8')
  const out = []
  for (const match of text.matchAll(SPECIFIER)) {
    const target = resolve(dirname(file), match[1].replace(/\.js$/, '.ts'))
    if (existsSync(target)) out.push(target)
  }
  return out
}

function cycles(graph) {
  const found = []
  const state = new Map() // 1 = on the current path, 2 = done
  const path = []
  const visit = (node) => {
    state.set(node, 1)
    path.push(node)
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 1) found.push([...path.slice(path.indexOf(next)), next])
      else if (!state.has(next)) visit(next)
    }
    path.pop()
    state.set(node, 2)
  }
  for (const node of graph.keys()) if (!state.has(node)) visit(node)
  return found
}

const floors = readFloors()
const files = sourceFiles(src)
const graph = new Map(files.map((f) => [f, importsOf(f)]))
const problems = []
const name = (f) => relative(root, f)
for (const [file, targets] of graph) {
  const from = placeOf(file, floors)
  if (from === null) {
    problems.push(`${name(file)}: its folder is on no floor of the plan`)
    continue
  }
  for (const target of targets) {
    const to = placeOf(target, floors)
    if (to === null || to.folder === from.folder) continue
    if (to.floor > from.floor) problems.push(`${name(file)} -> ${name(target)}: ${from.folder} imports ${to.folder}, a higher floor`)
    else if (to.floor === from.floor) problems.push(`${name(file)} -> ${name(target)}: ${from.folder} and ${to.folder} share a floor`)
  }
}
for (const cycle of cycles(graph)) problems.push(`import cycle: ${cycle.map(name).join(' -> ')}`)
problems.push(...browserProblems())
if (problems.length > 0) {
  process.stderr.write(`floor plan (docs/ARCHITECTURE.md) broken in ${problems.length} place(s):\n${problems.map((p) => `  ${p}`).join('\n')}\n`)
  process.exit(1)
}
process.stdout.write(`floor plan kept: ${files.length} files on ${floors.length} floors, no cycle\n`)

/**
 * web/ is the dashboard's browser code, outside src/ and its floors: it may import its own files, and from
 * elsewhere only types (erased when compiled, so the page never loads server code): uPlot's and the frame
 * shape in src/admin/dashboard-frame.ts, which itself imports nothing.
 */
function browserProblems() {
  const web = join(root, 'web')
  if (!existsSync(web)) return []
  const frame = join(src, 'admin', 'dashboard-frame.ts')
  const found = []
  const IMPORT = /^\s*(import|export)\s+(type\s+)?[^'"]*from\s*['"]([^'"]+)['"]/gm
  for (const file of sourceFiles(web)) {
    for (const [, , typeOnly, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = spec.startsWith('.') ? resolve(dirname(file), spec.replace(/\.js$/, '.ts')) : spec
      const inside = spec.startsWith('.') && target.startsWith(`${web}/`)
      const typeFromOutside = typeOnly !== undefined && (target === frame || spec === 'uplot')
      if (!inside && !typeFromOutside) found.push(`${name(file)} -> ${spec}: browser code imports only web/ files and, as types, uplot and src/admin/dashboard-frame.ts`)
    }
  }
  if (/\bfrom\s*['"]/.test(readFileSync(frame, 'utf8'))) found.push(`${name(frame)}: the page compiles it, so it imports nothing`)
  return found
}
