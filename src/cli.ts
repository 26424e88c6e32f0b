import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Command, CommanderError, Option } from 'commander'
import { ConfigError } from './config/config-error.js'
import { addCtlCommand } from './ctl/ctl-command.js'
import { loadConfigFile } from './config/load.js'
import { runVerify, type VerifyCommandOptions } from './audit/verify-command.js'
import { collectOption, runEvaluate, type EvaluateCommandOptions } from './evaluate/evaluate-command.js'
import { announceReady, inheritedSockets, startSuccessor } from './hot-restart.js'
import { startBaton } from './index.js'
import { chooseLogFormat, createLogger, LOG_FORMATS, type LogFormat } from './util/logger.js'

const EXAMPLES = `
Examples:
  $ baton start --config config/demo.yaml     run the demo (starts its own demo backends)
  $ baton validate --config config/baton.yaml check a config file, listing every error with file:line:column
  $ PORT=8081 baton start -c my.yaml          \${PORT} in the YAML is taken from the environment
  $ baton start -c my.yaml --pid-file /run/baton.pid
  $ baton reload --pid-file /run/baton.pid    re-read the config file (same as kill -HUP)
  $ baton start -c my.yaml --upgrade --pid-file /run/baton.pid   restart with no refused connection (kill -USR2)
  $ baton reload --admin http://127.0.0.1:9901 --token-env BATON_ADMIN_TOKEN   the same through the admin API
  $ baton evaluate --log decisions.jsonl --policy least_request   what least_request would have done on logged traffic
  $ BATON_ADMIN_TOKEN=… baton ctl drain api 10.0.0.5:8080       operate a running Baton (see baton ctl --help)
  $ baton audit verify --rotated state/audit.log   check the audit trail's hash chain (exit 1 when broken)`

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
    .option('--pid-file <file>', 'write the process id here (for baton reload and --upgrade); removed at exit')
    .option('--upgrade', 'restart the Baton named by --pid-file without downtime (it hands its sockets to a new process)')
    .addOption(new Option('--log-format <format>', 'log lines as JSON or human-readable (default: pretty on a terminal, else json)').choices(LOG_FORMATS))
    .addOption(new Option('--inherit', 'take over the sockets of the process being replaced (set by --upgrade)').hideHelp())
    .action((opts: StartOptions) => start(opts))
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
  program
    .command('evaluate')
    .description('estimate from a decision log (debug.decisionLog) the latency and errors another policy would have had: IPS, SNIPS, doubly robust')
    .requiredOption('--log <file>', 'decision log: the JSON lines debug.decisionLog writes')
    .requiredOption('--policy <name>', 'candidate: round_robin (uniform), random, least_request, peak_ewma, greedy, adaptive (as logged)')
    .option('--option <key=value>', 'policy option, repeatable: feature=<logged feature> (greedy, least_request), epsilon=<0..1>', collectOption, [])
    .option('--resamples <n>', 'bootstrap resamples (percentile intervals)', '1000')
    .option('--seed <n>', 'bootstrap seed', '1')
    .option('--min-propensity <p>', 'a logging probability under this does not cover a candidate choice', '0.01')
    .option('--json', 'print the evaluation as JSON')
    .action((opts: EvaluateCommandOptions) => runEvaluate(opts, (text) => process.stdout.write(text)))
  addCtlCommand(program, (text) => process.stdout.write(text))
  program
    .command('audit')
    .description('the audit trail (audit.file)')
    .command('verify')
    .description('check an audit file\'s hash chain: prints "N lines, chain intact" or the first broken line and why (exit 1)')
    .argument('<files...>', 'audit files, oldest first, checked as one chain')
    .option('--rotated', 'with one FILE: also its rotated predecessors FILE.N … FILE.1, before it')
    .action(async (files: string[], opts: VerifyCommandOptions) => {
      process.exitCode = await runVerify(files, opts, (text) => process.stdout.write(text))
    })
  return program
}

async function validate(file: string): Promise<void> {
  const config = await loadConfigOrExit(file)
  const counts = [count(config.upstreams.length, 'upstream'), count(config.routes.length, 'route'), count(config.listeners.length, 'listener')]
  process.stdout.write(`${file}: valid (${counts.join(', ')})\n`)
}

interface StartOptions {
  config: string
  pidFile?: string
  upgrade?: boolean
  inherit?: boolean
  logFormat?: LogFormat
}

async function start(opts: StartOptions): Promise<void> {
  const pidFile = opts.pidFile ?? null
  if (opts.upgrade === true) return upgradeRunning(pidFile)
  const config = await loadConfigOrExit(opts.config)
  // A successor of a zero-downtime restart takes over its predecessor's sockets instead of binding.
  const inherited = opts.inherit === true ? inheritedSockets() : undefined
  const logFormat = chooseLogFormat(opts.logFormat, process.stdout.isTTY === true)
  const logger = createLogger(config.logging.level, logFormat)
  const baton = await startBaton(config, { inherited, logger })
  if (pidFile !== null) writeFileSync(pidFile, `${process.pid}\n`)
  if (inherited !== undefined) {
    // The predecessor flushes and closes the audit file first: one writer per hash chain.
    if (!(await announceReady())) baton.logger.warn('restart: the predecessor did not hand the audit trail over in time; taking it')
    // It serves already and the predecessor drains: a trail that cannot open is logged, never fatal here.
    await baton.openAudit().catch((err: Error) => baton.logger.error({ err: err.message }, 'audit trail off: it could not be opened'))
  }
  // Log lines, not plain text: a JSON consumer of stdout sees only JSON. The URL is also a field of its own.
  for (const url of baton.listenerUrls) logger.info({ url }, `proxy listening on ${url}`)
  if (baton.adminUrl !== null) logger.info({ url: baton.adminUrl }, `admin API on ${baton.adminUrl} (baton ctl upstreams, or ${baton.adminUrl}/api/upstreams)`)
  let stopping = false
  const stop = (why: string): void => {
    if (stopping) return
    stopping = true
    baton.logger.info({ why }, 'shutting down')
    void baton.close().then(() => {
      // After a restart the pid file names the successor: only remove our own.
      if (pidFile !== null && readPid(pidFile) === process.pid) rmSync(pidFile, { force: true })
      process.exit(0)
    })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  // The nginx habit: HUP re-reads the config. A refused config is logged and changes nothing.
  process.on('SIGHUP', () => void baton.reload())
  // USR2: zero-downtime restart. Save the models, hand the sockets to a fresh process, drain once it serves.
  let upgrading = false
  process.on('SIGUSR2', () => {
    if (upgrading || stopping) return
    upgrading = true
    // The successor writes where this process does, in the same format.
    const args = ['start', '--config', opts.config, '--inherit', '--log-format', logFormat, ...(pidFile === null ? [] : ['--pid-file', pidFile])]
    void baton
      .persist()
      .then(() => startSuccessor(process.argv[1], args, baton.sockets(), () => baton.audit.handOver()))
      .then(
        (pid) => {
          baton.logger.info({ successor: pid }, 'restart: the successor serves; draining')
          stop('restarted')
        },
        (err: Error) => {
          upgrading = false
          baton.logger.error({ err: err.message }, 'restart failed: this process keeps serving')
        },
      )
  })
}

/**
 * `baton start --upgrade --pid-file F`: ask the Baton whose pid is in F to restart without downtime
 * (SIGUSR2), and wait until the pid file names its successor.
 */
async function upgradeRunning(pidFile: string | null): Promise<void> {
  if (pidFile === null) throw new Error('--upgrade needs --pid-file, naming the running Baton')
  const old = readPid(pidFile)
  if (old === null) throw new Error(`${pidFile} holds no process id`)
  process.kill(old, 'SIGUSR2')
  const deadline = Date.now() + 25_000
  while (readPid(pidFile) === old) {
    if (Date.now() > deadline) throw new Error(`no successor took over from ${old} (see its log)`)
    await new Promise((r) => setTimeout(r, 100))
  }
  process.stdout.write(`baton: ${readPid(pidFile)} took over from ${old}\n`)
}

/** The pid in a pid file, or null when it is missing or holds none. */
function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

interface ReloadOptions {
  pidFile?: string
  admin?: string
  tokenEnv?: string
}

async function reload(opts: ReloadOptions): Promise<void> {
  if ((opts.pidFile === undefined) === (opts.admin === undefined)) throw new Error('give exactly one of --pid-file or --admin')
  if (opts.pidFile !== undefined) {
    const pid = readPid(opts.pidFile)
    if (pid === null) throw new Error(`${opts.pidFile} holds no process id`)
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
