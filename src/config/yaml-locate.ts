import { isMap, isNode, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml'

/** Where a key path points in a parsed YAML document. */
export interface Located {
  line: number
  column: number
  /** False when the path does not exist and the nearest existing parent was used (a missing key). */
  exact: boolean
}

/**
 * The line and column of the node at `path`, walking up to the nearest existing parent when the path
 * does not exist (a missing required key is reported at the mapping that lacks it).
 */
export function locate(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): Located {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true)
    if (isNode(node) && node.range) return { ...position(lines, node.range[0]), exact: depth === path.length }
  }
  return { line: 1, column: 1, exact: path.length === 0 }
}

/** The position of the key `key` inside the mapping at `path` (where an unknown key should be pointed at). */
export function locateKey(doc: Document, lines: LineCounter, path: readonly PropertyKey[], key: string): Located {
  const map = path.length === 0 ? doc.contents : doc.getIn(path, true)
  if (isMap(map)) {
    const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key)
    if (pair && isNode(pair.key) && pair.key.range) return { ...position(lines, pair.key.range[0]), exact: true }
  }
  return locate(doc, lines, path)
}

/** The key path of `node` given its ancestors as yaml's visit() passes them: pairs give keys, sequences indexes. */
export function keyPathOf(ancestors: readonly unknown[], node: Node): (string | number)[] {
  const chain = [...ancestors, node]
  const path: (string | number)[] = []
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i]
    const child = chain[i + 1]
    if (isPair(parent) && isScalar(parent.key) && child === parent.value) path.push(String(parent.key.value))
    else if (isSeq(parent)) path.push(parent.items.indexOf(child as Node))
  }
  return path
}

export function position(lines: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lines.linePos(offset)
  return { line, column: col }
}
