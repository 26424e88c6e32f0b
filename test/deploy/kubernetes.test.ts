/**
 * deploy/kubernetes/, the Dockerfile and .dockerignore (issue 12). No cluster and no Docker here: every
 * manifest is parsed and validated against the Kubernetes schemas (kubernetes-models, JSON Schema from the
 * Kubernetes OpenAPI), and the parts that must agree with each other and with Baton are checked against each
 * other: the ConfigMap's YAML is loaded by Baton's own parseConfigText, so it must be a valid config, and
 * ports, probe paths, the config path, the shutdown timings, the writable state folder, the token secrets and
 * the Dockerfile's CMD are compared with what that config says.
 *
 * kubernetes-models' schemas do not forbid unknown fields (a misspelt key validates), so every field this file
 * relies on is read at its exact path through the models' types, and its absence fails here.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parse as parseYaml, parseAllDocuments } from 'yaml'
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment'
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { Secret, type ISecret } from 'kubernetes-models/v1/Secret'
import { Service, type IService } from 'kubernetes-models/v1/Service'
import type { IContainer } from 'kubernetes-models/v1/Container'
import type { IContainerPort } from 'kubernetes-models/v1/ContainerPort'
import type { IProbe } from 'kubernetes-models/v1/Probe'
import { AdminAuth } from '../../src/admin/admin-auth.js'
import { ConfigError } from '../../src/config/config-error.js'
import { parseConfigText } from '../../src/config/load.js'
import type { BatonConfig } from '../../src/config/types.js'

const ROOT = repoRoot()
const MANIFESTS = join(ROOT, 'deploy', 'kubernetes')
const KUSTOMIZATION = 'kustomization.yaml'
/** Dummy secrets of the length `openssl rand -hex 16` gives: the config needs its token variables set. */
const ADMIN_SECRET = 'a'.repeat(32)
const METRICS_SECRET = 'b'.repeat(32)
/** The namespace the manifests' DNS names assume (they carry no metadata.namespace). */
const NAMESPACE = 'default'
/** A pod IP as kubelet probes and Prometheus' pod discovery put it in the Host header. */
const POD_HOST = '10.244.1.7'

// ---------------------------------------------------------------------------------------------------------
// Loading

interface Manifest {
  readonly file: string
  readonly object: { apiVersion?: string; kind?: string; metadata?: { name?: string } } & Record<string, unknown>
}

/** Every object of every manifest file (multi-document YAML), in file order. */
function loadManifests(): Manifest[] {
  const out: Manifest[] = []
  for (const file of manifestFiles()) {
    for (const doc of parseAllDocuments(readFileSync(join(MANIFESTS, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`)
      const object = doc.toJS() as Manifest['object'] | null
      if (object === null) continue // an empty document (a trailing ---)
      out.push({ file, object })
    }
  }
  return out
}

function manifestFiles(): string[] {
  return readdirSync(MANIFESTS)
    .filter((f) => /\.ya?ml$/.test(f) && f !== KUSTOMIZATION)
    .sort()
}

/** Validates with the kind's model; throws kubernetes-models' message naming the failing field. */
const VALIDATORS: Record<string, (object: unknown) => void> = {
  'apps/v1 Deployment': (o) => new Deployment(o as IDeployment).validate(),
  'v1 Service': (o) => new Service(o as IService).validate(),
  'v1 ConfigMap': (o) => new ConfigMap(o as IConfigMap).validate(),
  'v1 Secret': (o) => new Secret(o as ISecret).validate(),
  'policy/v1 PodDisruptionBudget': (o) => new PodDisruptionBudget(o as IPodDisruptionBudget).validate(),
}

const manifests = loadManifests()

function objectsOf<T>(kind: string): T[] {
  return manifests.filter((m) => m.object.kind === kind).map((m) => m.object as T)
}

function one<T>(kind: string, name: string): T {
  const found = manifests.filter((m) => m.object.kind === kind && m.object.metadata?.name === name)
  if (found.length !== 1) throw new Error(`expected one ${kind} named ${name}, found ${found.length}`)
  return found[0].object as T
}

const deployment = one<IDeployment>('Deployment', 'baton')
const podSpec = deployment.spec!.template.spec!
const container: IContainer = onlyElement(podSpec.containers, 'container')

/** The path after --config in the container's command (its args appended). */
const configPath = optionValue([...(container.command ?? []), ...(container.args ?? [])], '--config')

/** The volume mount and ConfigMap key that put a file at `path`, or null. */
function configMapFileAt(path: string): { mount: string; volume: string; configMap: string; key: string } | null {
  for (const mount of container.volumeMounts ?? []) {
    const volume = (podSpec.volumes ?? []).find((v) => v.name === mount.name)
    const source = volume?.configMap
    if (source === undefined) continue
    // With items, each key lands at its item path; without, every key lands under its own name. A subPath
    // mount puts one entry of the volume at mountPath itself.
    const entries = source.items ?? Object.keys(configMapData(source.name!)).map((key) => ({ key, path: key }))
    for (const entry of entries) {
      const at = mount.subPath !== undefined ? (mount.subPath === entry.path ? mount.mountPath : null) : posix.join(mount.mountPath, entry.path)
      if (at === path) return { mount: mount.mountPath, volume: mount.name, configMap: source.name!, key: entry.key }
    }
  }
  return null
}

function configMapData(name: string): Record<string, string> {
  return one<IConfigMap>('ConfigMap', name).data ?? {}
}

const configFile = configPath === null ? null : configMapFileAt(configPath)
const configText = configFile === null ? '' : configMapData(configFile.configMap)[configFile.key] ?? ''
const tokenEnv = { BATON_ADMIN_TOKEN: ADMIN_SECRET, BATON_METRICS_TOKEN: METRICS_SECRET }

/** Baton's own loader on the ConfigMap's text, as `baton start --config <configPath>` would see it. */
function parseConfigMap(text: string, env: NodeJS.ProcessEnv = tokenEnv): BatonConfig {
  return parseConfigText(text, 'deploy/kubernetes/configmap.yaml', env, configPath ?? '/etc/baton/baton.yaml')
}

let built: BatonConfig | null = null
let loadError: unknown = null
try {
  built = parseConfigMap(configText)
} catch (err) {
  loadError = err
}
/** The built config; a test that needs it fails (rather than crashes the file) when the ConfigMap is invalid. */
function config(): BatonConfig {
  if (built === null) throw new Error(`the ConfigMap's config does not load: ${String(loadError)}`)
  return built
}

/** A probe's or Service's port (number or container port name) as a number. */
function containerPortNumber(port: number | string | undefined): number | null {
  if (typeof port === 'number') return port
  const named = (container.ports ?? []).find((p: IContainerPort) => p.name === port)
  return named === undefined ? null : named.containerPort
}

/** The preStop hook's sleep in seconds: the built-in sleep action or `exec: sleep N`; 0 without one. */
function preStopSeconds(): number {
  const hook = container.lifecycle?.preStop
  if (hook === undefined) return 0
  if (hook.sleep !== undefined) return hook.sleep.seconds
  const command = hook.exec?.command ?? []
  if (command.length === 2 && /(^|\/)sleep$/.test(command[0]) && /^\d+$/.test(command[1])) return Number(command[1])
  throw new Error(`preStop is neither sleep nor exec sleep N: ${JSON.stringify(hook)}`)
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const wanted = Object.entries(selector ?? {})
  return wanted.length > 0 && wanted.every(([k, v]) => labels?.[k] === v)
}

// ---------------------------------------------------------------------------------------------------------
// The manifests as Kubernetes objects

t.test('every manifest parses and validates against the Kubernetes schema of its kind', async (t) => {
  t.ok(manifests.length >= 6, `objects found: ${manifests.length}`)
  const seen = new Set<string>()
  for (const { file, object } of manifests) {
    const kind = `${object.apiVersion} ${object.kind}`
    const name = object.metadata?.name
    t.ok(typeof name === 'string' && name.length > 0, `${file}: ${kind} has a name`)
    t.notOk(seen.has(`${object.kind}/${name}`), `${file}: ${object.kind}/${name} is defined once`)
    seen.add(`${object.kind}/${name}`)
    const validate = VALIDATORS[kind]
    if (validate === undefined) {
      t.fail(`${file}: no validator for ${kind}; add it to VALIDATORS`)
      continue
    }
    t.doesNotThrow(() => validate(object), `${file}: ${kind} ${name} is valid`)
  }
})

t.test('a schema violation is caught (the validation is not vacuous)', async (t) => {
  const broken = structuredClone(deployment)
  ;(broken.spec!.template.spec!.containers[0].ports![0] as { containerPort: unknown }).containerPort = '8080'
  t.throws(() => VALIDATORS['apps/v1 Deployment'](broken), /containerPort must be integer/)
})

t.test('kustomization.yaml lists every manifest file', async (t) => {
  const kustomization = parseYaml(readFileSync(join(MANIFESTS, KUSTOMIZATION), 'utf8')) as { kind: string; resources: string[] }
  t.equal(kustomization.kind, 'Kustomization')
  t.same([...kustomization.resources].sort(), manifestFiles())
})

// ---------------------------------------------------------------------------------------------------------
// The config

t.test('the command runs `node bin/baton start --config <file>` on a file the ConfigMap provides', async (t) => {
  t.same(container.command?.slice(0, 3), ['node', 'bin/baton', 'start'])
  t.equal(configPath, '/etc/baton/baton.yaml')
  t.ok(configFile !== null, `a ConfigMap volume mount puts a file at ${configPath}`)
  if (configFile === null) return
  t.equal(configFile.configMap, 'baton-config')
  const mount = container.volumeMounts!.find((m) => m.name === configFile.volume)!
  t.equal(mount.readOnly, true, 'the config mount is read-only')
  t.ok(configText.length > 0, `the ConfigMap has the key ${configFile.key}`)
})

t.test('the ConfigMap holds a valid Baton config', async (t) => {
  t.doesNotThrow(() => parseConfigMap(configText), 'parseConfigText accepts the ConfigMap as it is')
  const c = config()
  t.equal(c.source, configPath, 'relative paths resolve against the mounted file')
})

t.test('each admin token variable comes from a Secret key of the manifests; the placeholders are refused', async (t) => {
  const c = config()
  t.ok(c.admin !== null && c.admin.tokens.length > 0, 'the admin server is on, with tokens (required on 0.0.0.0)')
  const tokenVars = (parseYaml(configText) as { admin: { tokens: { env?: string }[] } }).admin.tokens.map((tok) => tok.env)
  t.same([...tokenVars].sort(), Object.keys(tokenEnv).sort(), 'the test gives every variable the config reads')
  const fromSecrets: NodeJS.ProcessEnv = {}
  for (const variable of tokenVars) {
    const entry = (container.env ?? []).find((e) => e.name === variable)
    const ref = entry?.valueFrom?.secretKeyRef
    t.ok(ref !== undefined, `${variable} is set from a secretKeyRef`)
    if (ref === undefined) continue
    const secret = one<ISecret>('Secret', ref.name!)
    const value = secret.stringData?.[ref.key] ?? (secret.data?.[ref.key] === undefined ? undefined : Buffer.from(secret.data[ref.key], 'base64').toString('utf8'))
    t.ok(value !== undefined, `Secret ${ref.name} has the key ${ref.key}`)
    t.match(value, /REPLACE ME/, `Secret ${ref.name} holds a placeholder, marked to be replaced`)
    fromSecrets[variable!] = value
  }
  // Applied unchanged, the placeholders must stop Baton at load, never become working tokens.
  let refused: readonly string[] = []
  try {
    parseConfigMap(configText, fromSecrets)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    refused = err.issues.map((i) => i.path)
  }
  t.same(refused, tokenVars.map((_, i) => `admin.tokens[${i}].env`), 'Baton refuses every placeholder token at load')
})

t.test('the listener and admin addresses are reachable from outside the pod', async (t) => {
  const c = config()
  for (const l of c.listeners) t.equal(l.address, '0.0.0.0', `listener ${l.name} on every interface`)
  t.equal(c.admin?.address, '0.0.0.0', 'admin on every interface (kubelet probes, Prometheus)')
})

// ---------------------------------------------------------------------------------------------------------
// Ports and probes

t.test('container ports are the config listener and admin ports, and nothing else', async (t) => {
  const c = config()
  const ports = container.ports ?? []
  t.equal(containerPortNumber('proxy'), c.listeners[0].port, 'containerPort "proxy" = listeners[0].port')
  t.equal(containerPortNumber('admin'), c.admin!.port, 'containerPort "admin" = admin.port')
  t.same(ports.map((p) => p.containerPort).sort(), [...c.listeners.map((l) => l.port), c.admin!.port].sort())
  for (const p of ports) t.equal(p.protocol ?? 'TCP', 'TCP')
})

t.test('readiness and liveness probe GET /healthz on the admin port', async (t) => {
  const c = config()
  const probes: [string, IProbe | undefined][] = [
    ['readinessProbe', container.readinessProbe],
    ['livenessProbe', container.livenessProbe],
  ]
  for (const [name, probe] of probes) {
    t.ok(probe?.httpGet !== undefined, `${name} is an httpGet probe`)
    t.equal(probe?.httpGet?.path, '/healthz', `${name} path`)
    t.equal(containerPortNumber(probe?.httpGet?.port), c.admin!.port, `${name} port is admin.port`)
    t.equal(probe?.httpGet?.scheme ?? 'HTTP', 'HTTP', `${name} scheme`)
  }
})

t.test('the probes agree with drainDelay: readiness sees the 503 within it, liveness never restarts for it', async (t) => {
  const delayS = config().shutdown.drainDelayMs / 1000
  t.ok(delayS > 0, `shutdown.drainDelay is set (${delayS} s)`)
  const readiness = container.readinessProbe!
  const liveness = container.livenessProbe!
  // Kubernetes defaults: periodSeconds 10, failureThreshold 3.
  const readyAfter = (readiness.periodSeconds ?? 10) * (readiness.failureThreshold ?? 3)
  const liveAfter = (liveness.periodSeconds ?? 10) * (liveness.failureThreshold ?? 3)
  t.ok(readyAfter < delayS, `readiness fails after ${readyAfter} s < drainDelay ${delayS} s`)
  t.ok(liveAfter > delayS, `liveness fails after ${liveAfter} s > drainDelay ${delayS} s`)
})

t.test('the Service sends its port to the proxy container port, selecting the Deployment pods', async (t) => {
  const c = config()
  const service = one<IService>('Service', 'baton')
  const labels = deployment.spec!.template.metadata?.labels
  t.ok(matches(service.spec?.selector, labels), 'Service selector matches the pod labels')
  t.ok(matches(deployment.spec!.selector.matchLabels, labels), 'Deployment selector matches its pod labels')
  t.ok((service.spec?.ports ?? []).length > 0, 'the Service has ports')
  for (const p of service.spec?.ports ?? []) {
    t.equal(containerPortNumber(p.targetPort ?? p.port), c.listeners[0].port, `Service port ${p.port} → the listener port`)
  }
})

t.test('the upstream points at the headless backend Service by its cluster DNS name and port', async (t) => {
  const c = config()
  const headless = objectsOf<IService>('Service').filter((s) => s.spec?.clusterIP === 'None')
  t.equal(headless.length, 1, 'one headless Service')
  const backend = headless[0]
  const expectedHost = `${backend.metadata!.name}.${NAMESPACE}.svc.cluster.local`
  const ports = (backend.spec?.ports ?? []).map((p) => p.port)
  for (const u of c.upstreams) {
    for (const e of u.endpoints) {
      const url = new URL(e.url)
      t.equal(url.hostname, expectedHost, `${u.name}: ${e.url} names the headless Service`)
      t.ok(ports.includes(Number(url.port)), `${u.name}: port ${url.port} is a port of ${backend.metadata!.name}`)
    }
  }
  t.notOk(matches(backend.spec?.selector, deployment.spec!.template.metadata?.labels), 'the backend Service does not select Baton itself')
})

t.test('Prometheus annotations name the admin port and /metrics; a read token admits a scrape by pod IP', async (t) => {
  const c = config()
  const annotations = deployment.spec!.template.metadata?.annotations ?? {}
  t.equal(annotations['prometheus.io/scrape'], 'true')
  t.equal(annotations['prometheus.io/port'], String(c.admin!.port))
  t.equal(annotations['prometheus.io/path'], '/metrics')
  // Baton's own admission rule with this config, as the admin server bound to 0.0.0.0 would apply it.
  const auth = new AdminAuth(c.admin!, { address: '0.0.0.0', port: c.admin!.port })
  const request = (host: string, secret: string | undefined) => ({
    host,
    authorization: secret === undefined ? undefined : `Bearer ${secret}`,
    origin: undefined,
    contentType: undefined,
  })
  const scrape = auth.decide(request(`${POD_HOST}:${c.admin!.port}`, METRICS_SECRET), 'read')
  t.same(scrape, { allowed: true, tokenName: 'prometheus' }, '/metrics (a read route) by pod IP with the read token')
  t.match(auth.decide(request(`${POD_HOST}:${c.admin!.port}`, undefined), 'read'), { allowed: false, status: 401 }, 'without a token: 401')
  t.match(auth.decide(request(`${POD_HOST}:${c.admin!.port}`, undefined), 'public'), { allowed: true }, '/healthz (public): kubelet probes need nothing')
  t.match(auth.decide(request(`localhost:${c.admin!.port}`, ADMIN_SECRET), 'read'), { allowed: true, tokenName: 'ops' }, 'kubectl port-forward pod 9901')
  t.match(auth.decide(request(`${POD_HOST}:${c.admin!.port}`, METRICS_SECRET), 'write'), { allowed: false, status: 403 }, 'the scrape token cannot write')
})

// ---------------------------------------------------------------------------------------------------------
// Shutdown

t.test('terminationGracePeriodSeconds is above preStop sleep + drainDelay + drainTimeout', async (t) => {
  const c = config()
  const grace = podSpec.terminationGracePeriodSeconds ?? 30
  const preStop = preStopSeconds()
  const delay = c.shutdown.drainDelayMs / 1000
  const timeout = c.shutdown.drainTimeoutMs / 1000
  t.ok(preStop > 0, `a preStop sleep (${preStop} s) lets the endpoint removal propagate before SIGTERM`)
  t.ok(delay > 0, `shutdown.drainDelay is set (${delay} s)`)
  // The kubelet's grace period runs from the start of preStop; Baton still closes pools and saves the model
  // after drainTimeout, so a margin is kept.
  t.ok(grace > preStop + delay + timeout, `grace ${grace} s > preStop ${preStop} + drainDelay ${delay} + drainTimeout ${timeout}`)
  t.ok(grace - (preStop + delay + timeout) >= 5, 'at least 5 s of margin for closing pools and saving the model')
})

t.test('a rolling update keeps every replica serving until its replacement is ready; the PDB allows drains', async (t) => {
  t.equal(deployment.spec!.strategy?.type ?? 'RollingUpdate', 'RollingUpdate')
  t.equal(deployment.spec!.strategy?.rollingUpdate?.maxUnavailable, 0)
  t.ok((deployment.spec!.replicas ?? 1) >= 2, 'more than one replica')
  const pdb = one<IPodDisruptionBudget>('PodDisruptionBudget', 'baton')
  t.ok(matches(pdb.spec?.selector?.matchLabels, deployment.spec!.template.metadata?.labels), 'PDB selects the pods')
  t.ok(typeof pdb.spec?.maxUnavailable === 'number' && pdb.spec.maxUnavailable >= 1, 'a node drain can evict one pod at a time')
})

// ---------------------------------------------------------------------------------------------------------
// Security and resources

t.test('the container runs as non-root with a read-only root file system and no privileges', async (t) => {
  const sc = container.securityContext
  t.equal(sc?.runAsNonRoot, true, 'runAsNonRoot')
  t.equal(sc?.runAsUser, 10001, 'runAsUser 10001')
  t.equal(sc?.readOnlyRootFilesystem, true, 'readOnlyRootFilesystem')
  t.equal(sc?.allowPrivilegeEscalation, false, 'allowPrivilegeEscalation false')
  t.same(sc?.capabilities?.drop, ['ALL'], 'capabilities drop ALL')
  t.notOk(sc?.privileged, 'not privileged')
  t.equal(sc?.seccompProfile?.type ?? podSpec.securityContext?.seccompProfile?.type, 'RuntimeDefault', 'seccomp RuntimeDefault')
  t.equal(podSpec.securityContext?.runAsNonRoot, true, 'pod-level runAsNonRoot')
  t.equal(podSpec.automountServiceAccountToken, false, 'no service account token: Baton never calls the API server')
})

t.test('every path Baton writes is on a writable per-pod emptyDir', async (t) => {
  const c = config()
  const writable = (container.volumeMounts ?? []).filter((m) => m.readOnly !== true && (podSpec.volumes ?? []).some((v) => v.name === m.name && v.emptyDir !== undefined))
  const onWritable = (path: string) => writable.some((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
  const stateDirs = c.upstreams.flatMap((u) => (u.policy.name === 'adaptive' && u.policy.stateDir !== null ? [u.policy.stateDir] : []))
  t.ok(stateDirs.length > 0, 'the adaptive model is saved (warm start after a container restart)')
  for (const dir of stateDirs) t.ok(onWritable(dir), `stateDir ${dir} is on a writable emptyDir`)
  if (c.debug.decisionLog !== null) t.ok(onWritable(c.debug.decisionLog.path), `decision log ${c.debug.decisionLog.path} is on a writable emptyDir`)
  t.notOk(configFile !== null && writable.some((m) => m.mountPath === configFile.mount), 'the config mount is not writable')
})

t.test('requests and limits are set for CPU and memory; the V8 heap cap fits under the memory limit', async (t) => {
  const r = container.resources
  for (const kind of ['requests', 'limits'] as const) {
    for (const resource of ['cpu', 'memory']) t.ok(r?.[kind]?.[resource] !== undefined, `${kind}.${resource}`)
  }
  const limitMi = mebibytes(String(r?.limits?.memory))
  const requestMi = mebibytes(String(r?.requests?.memory))
  t.ok(requestMi <= limitMi, `memory request ${requestMi}Mi ≤ limit ${limitMi}Mi`)
  const heap = /--max-old-space-size=(\d+)/.exec((container.env ?? []).find((e) => e.name === 'NODE_OPTIONS')?.value ?? '')
  t.ok(heap !== null, 'NODE_OPTIONS caps the V8 heap')
  if (heap !== null) t.ok(Number(heap[1]) < limitMi, `heap ${heap[1]}Mi < limit ${limitMi}Mi`)
})

// ---------------------------------------------------------------------------------------------------------
// The image

t.test('the Dockerfile: build and runtime stages, non-root user, exposed ports and CMD agree with the manifests', async (t) => {
  const c = config()
  const docker = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))
  t.equal(docker.stages.length, 2, 'two stages')
  const [build, runtime] = docker.stages
  t.ok(build.runs.some((r) => /\bnpm ci\b(?!.*--omit)/.test(r)) && build.runs.some((r) => /\bnpm run build\b/.test(r)), 'build: npm ci && npm run build')
  t.ok(runtime.runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r)), 'runtime: npm ci --omit=dev')
  t.ok(runtime.copies.some((cp) => cp.from === build.name && cp.sources.some((s) => s.startsWith('/app/dist'))), 'runtime copies dist from the build stage')
  t.ok(runtime.copies.some((cp) => cp.from === null && cp.sources.includes('bin')), 'runtime copies bin')
  t.equal(runtime.user, `${container.securityContext?.runAsUser}:${container.securityContext?.runAsGroup}`, 'USER = runAsUser:runAsGroup')
  t.same(runtime.cmd, container.command, 'CMD = the Deployment command')
  const cmdConfig = optionValue(runtime.cmd ?? [], '--config')
  t.equal(cmdConfig, configPath, 'CMD --config = the Deployment --config path')
  t.ok(cmdConfig !== null && configMapFileAt(cmdConfig) !== null, 'CMD --config is the file the ConfigMap mount provides')
  t.same(runtime.expose.sort(), [...c.listeners.map((l) => l.port), c.admin!.port].sort(), 'EXPOSE = listener and admin ports')
})

t.test('.dockerignore keeps host builds out and everything the Dockerfile copies in', async (t) => {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  const ignored = (path: string) => patterns.some((p) => globRegex(p).test(path))
  for (const path of ['node_modules', 'dist', '.git', 'state']) t.ok(ignored(path), `${path} is ignored`)
  const docker = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))
  for (const stage of docker.stages) {
    for (const cp of stage.copies.filter((x) => x.from === null)) {
      for (const source of cp.sources) {
        t.notOk(ignored(source), `COPY ${source} is in the build context`)
        t.ok(existsSync(join(ROOT, source)), `${source} exists`)
      }
    }
  }
})

// ---------------------------------------------------------------------------------------------------------
// Helpers

interface DockerStage {
  name: string | null
  runs: string[]
  copies: { from: string | null; sources: string[] }[]
  user: string | null
  cmd: string[] | null
  expose: number[]
}

/** Enough of a Dockerfile parser for the checks above: continuation lines joined, comments dropped. */
function parseDockerfile(text: string): { stages: DockerStage[] } {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  const stages: DockerStage[] = []
  for (const line of lines) {
    const [, instruction, rest] = /^(\S+)\s+(.*)$/.exec(line) ?? [line, line, '']
    const op = instruction.toUpperCase()
    if (op === 'ARG' && stages.length === 0) continue
    if (op === 'FROM') {
      stages.push({ name: /\bAS\s+(\S+)/i.exec(rest)?.[1] ?? null, runs: [], copies: [], user: null, cmd: null, expose: [] })
      continue
    }
    const stage = stages[stages.length - 1]
    if (stage === undefined) throw new Error(`${op} before FROM`)
    if (op === 'RUN') stage.runs.push(rest)
    if (op === 'USER') stage.user = rest
    if (op === 'EXPOSE') stage.expose.push(...rest.split(/\s+/).map((p) => Number(p.replace(/\/tcp$/, ''))))
    if (op === 'CMD') stage.cmd = JSON.parse(rest) as string[] // exec form only: a shell form would not parse
    if (op === 'COPY') {
      const words = rest.split(/\s+/)
      const flags = words.filter((w) => w.startsWith('--'))
      const paths = words.filter((w) => !w.startsWith('--'))
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length) ?? null
      stage.copies.push({ from, sources: paths.slice(0, -1).map((p) => p.replace(/\/$/, '')) })
    }
  }
  return { stages }
}

/** A .dockerignore pattern (Go filepath.Match plus **) as a regex on a context-relative path or its parents. */
function globRegex(pattern: string): RegExp {
  const body = pattern
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
    .join('/')
    .replace(/\.\*\//g, '(?:.*/)?')
  return new RegExp(`^${body}(?:/.*)?$`)
}

function mebibytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity)
  if (m === null) throw new Error(`unexpected memory quantity ${quantity} (write it in Mi or Gi)`)
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1)
}

function optionValue(argv: readonly string[], option: string): string | null {
  const i = argv.indexOf(option)
  return i === -1 || i + 1 >= argv.length ? null : argv[i + 1]
}

function onlyElement<T>(list: readonly T[], what: string): T {
  if (list.length !== 1) throw new Error(`expected one ${what}, found ${list.length}`)
  return list[0]
}

/** The first folder above this module holding package.json (works from test/ and dist/test/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error('no package.json above the test')
    dir = up
  }
  return dir
}
