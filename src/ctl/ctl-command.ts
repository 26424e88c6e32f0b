import type { Command } from 'commander'
import { parseDuration } from '../config/units.js'
import { AdminClient } from './admin-client.js'
import { adminTarget, DEFAULT_ADMIN_URL, TOKEN_ENV, type TargetOptions } from './admin-target.js'
import { auditTable, endpointLine, eventsTable, routesTable, upstreamsTable } from './views.js'

interface CtlOptions extends TargetOptions {
  json?: boolean
}

type Print = (text: string) => void

/** What one ctl subcommand does with the client: call the API, and how to show its answer to a person. */
type Run = (client: AdminClient, args: string[], opts: Record<string, string | boolean | undefined>) => Promise<{ body: unknown; human: (body: unknown) => string }>

const EXAMPLES = `
Examples:
  $ export ${TOKEN_ENV}=$(cat /etc/baton/ops.token)
  $ baton ctl upstreams
  $ baton ctl drain api 10.0.0.5:8080 --reason "deploy 42"
  $ baton ctl eject api 10.0.0.5:8080 --duration 30s
  $ baton ctl weight api 10.0.0.5:8080 3
  $ baton ctl audit --since 10m
  $ baton ctl -c /etc/baton/baton.yaml events --since 1h --json`

/**
 * `baton ctl …`: the admin API for a terminal user. Every subcommand is one call; the answer prints as an
 * aligned table or line (or raw JSON with --json). A refusal prints the API's code and message and exits 1.
 */
export function addCtlCommand(program: Command, print: Print): void {
  const ctl = program
    .command('ctl')
    .description('operate a running Baton through its admin API (upstreams, drain, eject, weight, reload, audit…)')
    .option('--admin <url>', `admin API URL (default: admin.address/port of --config, else ${DEFAULT_ADMIN_URL})`)
    .option('-c, --config <file>', 'read the admin address and port from this config file')
    .option('--token-file <file>', `file holding the bearer token (else $${TOKEN_ENV})`)
    .option('--token <token>', `bearer token (stays in shell history: prefer $${TOKEN_ENV} or --token-file)`)
    .option('--json', 'print the API answer as JSON')
    .addHelpText('after', EXAMPLES)
  const add = (spec: string, description: string, run: Run, configure: (c: Command) => Command = (c) => c): void => {
    configure(ctl.command(spec).description(description)).action(async (...params: unknown[]) => {
      const command = params.at(-1) as Command
      const opts = command.optsWithGlobals<CtlOptions & Record<string, string | boolean | undefined>>()
      const target = adminTarget(opts)
      const { body, human } = await run(new AdminClient(target.url, target.token), command.args, opts)
      print(opts.json === true ? `${JSON.stringify(body, null, 2)}\n` : human(body))
    })
  }
  add('upstreams [upstream]', 'every endpoint with its state, weight, load and what an operator set', async (c, [only]) => ({
    body: await c.get('/api/upstreams'),
    human: (b) => upstreamsTable(b, only ?? null),
  }))
  add('endpoints <upstream>', "one upstream's endpoints", async (c, [only]) => ({ body: await c.get('/api/upstreams'), human: (b) => upstreamsTable(b, only) }))
  add(
    'eject <upstream> <endpoint>',
    'eject an endpoint for a while (not ended early by checks or probes); respects maxEjectionPercent unless --force',
    (c, [u, e], o) => write(c, u, e, 'eject', { ...(o.duration === undefined ? {} : { duration: o.duration }), ...(o.force === true ? { force: true } : {}), ...reason(o) }),
    (c) => c.option('--duration <duration>', 'how long, e.g. 30s, 10m (default 5m, at most 24h)').option('--force', 'eject even over maxEjectionPercent').option('--reason <text>', 'why, for the events and the audit trail'),
  )
  for (const [action, description] of [
    ['uneject', 'end an ejection, manual or automatic'],
    ['drain', 'take an endpoint out of rotation until undrained (in-flight requests finish)'],
    ['undrain', 'end a manual drain'],
  ] as const) {
    add(`${action} <upstream> <endpoint>`, description, (c, [u, e], o) => write(c, u, e, action, reason(o)), (c) => c.option('--reason <text>', 'why, for the events and the audit trail'))
  }
  add(
    'weight <upstream> <endpoint> <weight>',
    'set an endpoint weight (1..10000) at once; a reload keeps it unless the file changes that weight',
    (c, [u, e, w], o) => write(c, u, e, 'weight', { weight: Number(w), ...reason(o) }),
    (c) => c.option('--reason <text>', 'why, for the events and the audit trail'),
  )
  add('reload', 're-read the config file (a refused config changes nothing)', async (c) => ({
    body: await c.post('/api/reload'),
    human: (b) => `reloaded: ${JSON.stringify((b as { diff: unknown }).diff)}\n`,
  }))
  add(
    'rollback <upstream>',
    "make the adaptive model's previous version (or version --to) current",
    async (c, [u], o) => {
      const query = new URLSearchParams({ upstream: u, ...(o.to === undefined ? {} : { version: String(o.to) }) })
      return { body: await c.post(`/api/model/rollback?${query}`), human: (b) => rollbackLines(b) }
    },
    // Not --version: baton's own -v/--version would take it.
    (c) => c.option('--to <version>', 'the version id to make current (see GET /api/model)'),
  )
  add(
    'events',
    'health events (ejections, drains, reloads…), oldest first',
    async (c, _args, o) => ({ body: await c.get(`/api/events?${sinceQuery(o)}`), human: eventsTable }),
    (c) => c.option('--since <duration>', 'only the last e.g. 10m').option('--limit <n>', 'at most this many (the newest)'),
  )
  add(
    'audit',
    'the audit trail: manual actions and admin auth failures',
    async (c, _args, o) => ({ body: await c.get(`/api/audit?${sinceQuery(o)}`), human: auditTable }),
    (c) => c.option('--since <duration>', 'only the last e.g. 10m').option('--action <action>', 'only this action, e.g. drain, auth-failure').option('--limit <n>', 'at most this many (the newest)'),
  )
  add('routes', 'the route table, first match wins', async (c) => ({ body: await c.get('/api/routes'), human: routesTable }))
  add('config', 'the effective config, secrets redacted (JSON)', async (c) => ({ body: await c.get('/api/config'), human: (b) => `${JSON.stringify(b, null, 2)}\n` }))
}

async function write(client: AdminClient, upstream: string, endpoint: string, action: string, body: Record<string, unknown>) {
  const path = `/api/upstreams/${encodeURIComponent(upstream)}/endpoints/${encodeURIComponent(endpoint)}/${action}`
  return { body: await client.post(path, body), human: endpointLine }
}

function reason(o: Record<string, string | boolean | undefined>): Record<string, string> {
  return typeof o.reason === 'string' ? { reason: o.reason } : {}
}

/** since (ms since the epoch, from --since as a duration back from now), limit and action as query parameters. */
function sinceQuery(o: Record<string, string | boolean | undefined>): URLSearchParams {
  const query = new URLSearchParams()
  if (typeof o.since === 'string') {
    const back = parseDuration(o.since)
    if (!back.ok) throw new Error(`--since: ${back.message}`)
    query.set('since', String(Date.now() - back.value))
  }
  if (typeof o.limit === 'string') query.set('limit', o.limit)
  if (typeof o.action === 'string') query.set('action', o.action)
  return query
}

function rollbackLines(body: unknown): string {
  const results = body as { upstream: string; rolledBack: boolean; currentVersion: number }[]
  return results.map((r) => `${r.upstream}: ${r.rolledBack ? `version ${r.currentVersion} is current` : 'nothing to roll back to'}\n`).join('')
}
