import { ConfigError } from '../../src/config/config-error.js'
import { parseConfigText } from '../../src/config/load.js'

/** The lines of the ConfigError `text` raises as x.yaml with `env` (empty by default), or ['(valid)']. */
export function errorLines(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, 'x.yaml', env)
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n')
    throw err
  }
  return ['(valid)']
}
