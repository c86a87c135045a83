import {mkdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {shellQuote} from '../../../src/util/shell-quote.js'
import {FPM_SOCKET, renderHostFiles} from './host-files.js'
import {payloadPath, renderInitScript, renderSetupScript} from './host-setup.js'
import {httpGet, tcpAccepts} from './http-probe.js'
import {generateEd25519Key, knownHostsLine} from './keys.js'
import {LabError} from './lab-error.js'
import {execInNamespace, type NamespaceProcess} from './namespace.js'
import type {HostLayout} from './paths.js'
import {isProcessAlive} from './proc.js'
import {waitFor} from './wait.js'

export interface HostPlan {
  name: string
  layout: HostLayout
  sshPort: number
  httpPort: number
  sparePorts: number[]
}

/** Write everything a host needs before its namespace starts; returns its known_hosts line. */
export async function prepareHost(plan: HostPlan, clientPublicKey: string): Promise<string> {
  const {layout} = plan
  await mkdir(layout.payloadDir, {recursive: true})
  const hostPublicKey = await generateEd25519Key(layout.hostKey, `root@${plan.name}`)
  const files = renderHostFiles({name: plan.name, sshPort: plan.sshPort, httpPort: plan.httpPort, clientPublicKey})
  await Promise.all(
    files.map(async (file) => {
      const target = payloadPath(layout, file.path)
      await mkdir(path.dirname(target), {recursive: true})
      await writeFile(target, file.content, {mode: file.mode})
    }),
  )
  await writeFile(layout.initScript, renderInitScript(layout), {mode: 0o755})
  await writeFile(layout.setupScript, renderSetupScript({name: plan.name, layout, files}), {mode: 0o755})
  return knownHostsLine(plan.sshPort, hostPublicKey)
}

const SETUP_TIMEOUT_MS = 60_000
const SERVICE_TIMEOUT_MS = 30_000

/** Wait until setup finished and sshd, php-fpm and nginx (through php-fpm) all answer. */
export async function waitForHostReady(plan: HostPlan, ns: NamespaceProcess): Promise<void> {
  const logs = (): Promise<string> => hostLogs(plan.layout, ns)
  const status = await waitFor(
    async () => {
      const text = await readFile(plan.layout.setupStatus, 'utf8').catch(() => undefined)
      if (text !== undefined) return text.trim()
      if (!isProcessAlive(ns.hostPid))
        throw new LabError(`namespace of ${plan.name} died during setup`, {host: plan.name, log: await logs()})
      return undefined
    },
    {timeoutMs: SETUP_TIMEOUT_MS, what: `setup of ${plan.name}`, describeFailure: logs},
  )
  if (status !== '0') {
    throw new LabError(`setup of lab host ${plan.name} failed (exit ${status})`, {host: plan.name, log: await logs()})
  }
  const service = {timeoutMs: SERVICE_TIMEOUT_MS, describeFailure: logs}
  await waitFor(() => tcpAccepts(plan.sshPort), {...service, what: `sshd of ${plan.name} on port ${plan.sshPort}`})
  await waitFor(async () => (await execInNamespace(ns.hostPid, `test -S ${shellQuote(FPM_SOCKET)}`)).code === 0, {
    ...service,
    what: `php-fpm socket ${FPM_SOCKET} on ${plan.name}`,
  })
  await waitFor(
    async () => {
      const response = await httpGet(plan.httpPort, '/index.php', 5_000)
      return response.status === 200 && response.body === 'ok'
    },
    {...service, what: `nginx of ${plan.name} to serve /index.php on port ${plan.httpPort}`},
  )
}

/** Setup log plus the service logs inside the host, for error messages. */
async function hostLogs(layout: HostLayout, ns: NamespaceProcess): Promise<string> {
  const setupLog = await readFile(layout.setupLog, 'utf8').catch(() => '(no setup log)')
  const initLog = await readFile(layout.initLog, 'utf8').catch(() => '')
  let serviceLogs = ''
  if (isProcessAlive(ns.hostPid)) {
    const script =
      'for f in /var/log/nginx/error.log /var/log/php8.2-fpm.log /var/log/sshd.log; do echo "== $f"; tail -n 20 "$f" 2>&1; done'
    serviceLogs = (await execInNamespace(ns.hostPid, script, {timeoutMs: 5_000}).catch(() => undefined))?.stdout ?? ''
  }
  return [`${layout.setupLog}:`, setupLog, initLog && `${layout.initLog}:\n${initLog}`, serviceLogs]
    .filter(Boolean)
    .join('\n')
}
