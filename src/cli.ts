import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { ConfigError } from './config/config-error.js'
import { loadConfigFile } from './config/load.js'
import { startBaton } from './index.js'

const EXAMPLES = `
Examples:
  $ baton start --config config/demo.yaml     run the demo (starts its own demo backends)
  $ baton validate --config config/baton.yaml check a config file, listing every error with file:line:column
  $ PORT=8081 baton start -c my.yaml          \${PORT} in the YAML is taken from the environment
  $ baton start -c my.yaml --pid-file /run/baton.pid
  $ baton reload --pid-file /run/baton.pid    re-read the config file (same as kill -HUP)
  $ baton reload --admin http://127.0.0.1:9901 --token-env BATON_ADMIN_TOKEN   the same through the admin API`

/** The `baton` command line; bin/baton only calls this. Exits non-zero with one clear line on any error. */
export async function runCli(argv: readonly string[]): Promise<void> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv as string[])
  } catch (err) {
    process.exitCode = exitCodeFor(err)
  }
}

function buildProgram(): Command {
  const program = new Command('baton')
    .description('Baton: an intelligent L7 load-balancing reverse proxy')
    .version(packageVersion(), '-v, --version')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .showHelpAfterError('(run baton --help for usage)')
  program
    .command('start')
    .description('run the proxy with a config file; SIGHUP reloads it; SIGTERM/SIGINT drain in-flight requests and exit 0')
    .requiredOption('-c, --config <file>', 'YAML config file')
    .option('--pid-file <file>', 'write the process id here (for baton reload --pid-file); removed at exit')
    .action((opts: { config: string; pidFile?: string }) => start(opts.config, opts.pidFile ?? null))
  program
    .command('reload')
    .description('make a running Baton read its config file again: a refused config changes nothing')
    .option('--pid-file <file>', 'signal the process whose id is in this file (SIGHUP)')
    .option('--admin <url>', 'call POST /api/reload on this admin server instead, and print the outcome')
    .option('--token-env <name>', 'with --admin: the environment variable holding an admin token')
    .action((opts: ReloadOptions) => reload(opts))
  program
    .command('validate')
    .description('check a config file: exit 0 if valid, else exit 1 listing every error')
    .requiredOption('-c, --config <file>', 'YAML config file')
    .action((opts: { config: string }) => validate(opts.config))
  return program
}

async function validate(file: string): Promise<void> {
  const config = await loadConfigOrExit(file)
  const counts = [count(config.upstreams.length, 'upstream'), count(config.routes.length, 'route'), count(config.listeners.length, 'listener')]
  process.stdout.write(`${file}: valid (${counts.join(', ')})\n`)
}

async function start(file: string, pidFile: string | null): Promise<void> {
  const config = await loadConfigOrExit(file)
  const baton = await startBaton(config)
  if (pidFile !== null) writeFileSync(pidFile, `${process.pid}\n`)
  for (const url of baton.listenerUrls) process.stdout.write(`baton: proxy listening on ${url}\n`)
  if (baton.adminUrl !== null) process.stdout.write(`baton: admin on ${baton.adminUrl} (try ${baton.adminUrl}/api/upstreams)\n`)
  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return
    stopping = true
    baton.logger.info({ signal }, 'shutting down')
    void baton.close().then(() => {
      if (pidFile !== null) rmSync(pidFile, { force: true })
      process.exit(0)
    })
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  // The nginx habit: HUP re-reads the config. A refused config is logged and changes nothing.
  process.on('SIGHUP', () => void baton.reload())
}

interface ReloadOptions {
  pidFile?: string
  admin?: string
  tokenEnv?: string
}

async function reload(opts: ReloadOptions): Promise<void> {
  if ((opts.pidFile === undefined) === (opts.admin === undefined)) throw new CommanderError(2, 'baton.usage', 'give exactly one of --pid-file or --admin')
  if (opts.pidFile !== undefined) {
    const pid = Number(readFileSync(opts.pidFile, 'utf8').trim())
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${opts.pidFile} holds no process id`)
    process.kill(pid, 'SIGHUP')
    process.stdout.write(`baton: sent SIGHUP to ${pid}; the outcome is in its log and at /api/events\n`)
    return
  }
  const token = opts.tokenEnv === undefined ? undefined : process.env[opts.tokenEnv]
  if (opts.tokenEnv !== undefined && (token === undefined || token === '')) throw new Error(`${opts.tokenEnv} is not set`)
  const res = await fetch(new URL('/api/reload', opts.admin), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: '{}',
  })
  process.stdout.write(`${await res.text()}\n`)
  if (!res.ok) throw new CommanderError(1, 'baton.reload', `reload refused (${res.status})`)
}

async function loadConfigOrExit(file: string) {
  try {
    return await loadConfigFile(file)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      throw new CommanderError(1, 'baton.config', err.message)
    }
    throw err
  }
}

/** Commander has already printed its own one-line message; anything else is printed here without a stack. */
function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode
  process.stderr.write(`baton: ${err instanceof Error ? err.message : String(err)}\n`)
  return 1
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** "1 route", "2 routes". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
