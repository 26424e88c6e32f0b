import { LineCounter, parseDocument } from 'yaml'
import { z } from 'zod'
import { buildEndpoint } from './build-discovery.js'
import { ConfigError, formatPath, type ConfigIssue } from './config-error.js'
import { endpointId } from './cross-checks.js'
import { issueMessages } from './issue-messages.js'
import { schemaIssues, syntaxIssues } from './load.js'
import { endpointSchema } from './schema.js'
import type { EndpointConfig } from './types.js'
import { locate, position } from './yaml-locate.js'

/** A discovery file: the same entries as an upstream's `endpoints:` (URL strings or { id?, url, weight? }). */
const endpointList = z.array(endpointSchema, { error: 'expected a list of endpoints (URLs or { url, weight?, id? })' })

/**
 * Parses and validates the text of an endpoint file (discovery.file) with the config's endpoint schema.
 * Throws ConfigError listing every problem as `[1].url: message at file:line:col` (the path is the entry's
 * place in the list); `file` names the file in messages. JSON is checked as JSON first, then located
 * through the YAML parser (JSON is YAML), so both formats name lines. An empty list is valid here: what
 * an empty answer means is the discovery source's business.
 */
export function parseEndpointList(text: string, file: string, format: 'json' | 'yaml'): EndpointConfig[] {
  const lines = new LineCounter()
  if (format === 'json') {
    const problem = jsonProblem(text)
    if (problem !== null) {
      throw new ConfigError([{ file, ...jsonPosition(text, problem.offset), path: '(root)', message: `JSON syntax error: ${problem.message}` }])
    }
  }
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const syntax = syntaxIssues(doc, lines, file)
  if (syntax.length > 0) throw new ConfigError(syntax)
  const parsed = endpointList.safeParse(doc.toJS() ?? null, { error: issueMessages })
  if (!parsed.success) throw new ConfigError(parsed.error.issues.flatMap((i) => schemaIssues(doc, lines, file, i)))
  const issues: ConfigIssue[] = []
  const seen = new Map<string, number>()
  parsed.data.forEach((e, i) => {
    const id = endpointId(e)
    const first = seen.get(id)
    if (first === undefined) {
      seen.set(id, i)
      return
    }
    const at = locate(doc, lines, [i])
    issues.push({ file, line: at.line, column: at.column, path: formatPath([i]), message: `duplicate endpoint "${id}" (first at [${first}])` })
  })
  if (issues.length > 0) throw new ConfigError(issues)
  return parsed.data.map(buildEndpoint)
}

/** JSON.parse's complaint and the offset it names ("… at position 42"), or null when the text is JSON. */
function jsonProblem(text: string): { message: string; offset: number } | null {
  try {
    JSON.parse(text)
    return null
  } catch (err) {
    const message = (err as Error).message
    const offset = /position (\d+)/.exec(message)
    return { message: message.replace(/ in JSON at position \d+.*$/, ''), offset: offset === null ? text.length : Number(offset[1]) }
  }
}

function jsonPosition(text: string, offset: number): { line: number; column: number } {
  const lines = new LineCounter()
  lines.addNewLine(0)
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lines.addNewLine(i + 1)
  return position(lines, Math.min(offset, text.length))
}
