import { isScalar, parseDocument, Scalar, visit, type Document, type LineCounter } from 'yaml'
import { formatPath } from './config-error.js'
import { keyPathOf, position } from './yaml-locate.js'

/** `${NAME}` or `${NAME:-default}`; NAME as POSIX shells allow. */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

export interface SubstitutionIssue {
  path: string
  line: number
  column: number
  message: string
}

/**
 * Replaces `${VAR}` references in every string scalar of the document, in place, so positions stay those of
 * the file. An unquoted scalar that becomes a number or boolean takes that type (`port: ${PORT}` is a
 * number); a quoted one stays a string. An unset variable without a default is an issue at its scalar.
 */
export function substituteEnv(doc: Document, lines: LineCounter, env: NodeJS.ProcessEnv): SubstitutionIssue[] {
  const issues: SubstitutionIssue[] = []
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return
      const missing: string[] = []
      const text = node.value.replace(REFERENCE, (_whole, name: string, fallback: string | undefined) => {
        const value = env[name]
        if (value !== undefined) return value
        if (fallback !== undefined) return fallback
        missing.push(name)
        return ''
      })
      if (missing.length > 0) {
        const at = position(lines, node.range?.[0] ?? 0)
        issues.push({ path: formatPath(keyPathOf(ancestors, node)), ...at, message: `environment variable ${missing.join(', ')} is not set and has no default` })
        return
      }
      node.value = node.type === Scalar.PLAIN ? plainValue(text) : text
    },
  })
  return issues
}

/**
 * What an unquoted YAML scalar of exactly this text would be when that is a number, boolean or null (YAML 1.2
 * core schema); any other text stays as written, so a value like "#x" or "8080 # note" is never read as a comment.
 */
function plainValue(text: string): unknown {
  const doc = parseDocument(text)
  const node = doc.contents
  const whole = doc.errors.length === 0 && isScalar(node) && node.type === Scalar.PLAIN && node.range?.[0] === 0 && node.range[1] === text.length
  const typed = whole && (node.value === null || typeof node.value === 'number' || typeof node.value === 'boolean')
  return typed ? node.value : text
}
