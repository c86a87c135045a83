import {shellQuote} from '../../../src/util/shell-quote.js'
import {FPM_BINARY, FPM_PID_FILE, FPM_SERVICE, NGINX_PID_FILE} from './host-files.js'
import {tcpAccepts} from './http-probe.js'
import type {LabHost} from './lab-host.js'
import {setPoolDirectiveText} from './pool-directive.js'
import {waitFor} from './wait.js'

const SERVICE_TIMEOUT_MS = 30_000

/** Stop php-fpm the Debian way and wait until no php-fpm process is left. */
export async function stopFpm(host: LabHost): Promise<void> {
  await host.exec(`service ${FPM_SERVICE} stop`)
  await waitFor(async () => (await host.exec(`pgrep -x ${FPM_BINARY}`, {allowFail: true})).code === 1, {
    timeoutMs: SERVICE_TIMEOUT_MS,
    what: `php-fpm on ${host.name} to exit`,
  })
}

/** Start php-fpm the Debian way and wait until every pool listens. */
export async function startFpm(host: LabHost): Promise<void> {
  await host.exec(`service ${FPM_SERVICE} start`)
  await waitFor(async () => (await fpmMasterPid(host)) !== undefined && (await fpmListening(host)), {
    timeoutMs: SERVICE_TIMEOUT_MS,
    what: `php-fpm on ${host.name} to start and listen`,
    describeFailure: () => fpmLogTail(host),
  })
}

/** `service php8.2-fpm restart`, then wait for a new master whose unix sockets are new files. */
export async function restartFpm(host: LabHost): Promise<void> {
  const oldPid = await fpmMasterPid(host)
  const oldInodes = await socketInodes(host, (await fpmListeners(host)).filter(isUnixListener))
  await host.exec(`service ${FPM_SERVICE} restart`)
  await waitFor(
    async () => {
      const pid = await fpmMasterPid(host)
      if (pid === undefined || pid === oldPid) return false
      const unixListeners = (await fpmListeners(host)).filter(isUnixListener)
      const inodes = await socketInodes(host, unixListeners)
      const socketsReplaced = unixListeners.every(
        (path) => inodes.has(path) && inodes.get(path) !== oldInodes.get(path),
      )
      return socketsReplaced && (await fpmListening(host))
    },
    {
      timeoutMs: SERVICE_TIMEOUT_MS,
      what: `php-fpm on ${host.name} to restart`,
      describeFailure: () => fpmLogTail(host),
    },
  )
}

/** Test the config, `service nginx reload`, and wait until a new generation of workers serves. */
export async function reloadNginx(host: LabHost): Promise<void> {
  await host.exec('nginx -t -q')
  const oldWorkers = new Set(await nginxActiveWorkers(host))
  await host.exec('service nginx reload')
  await waitFor(
    async () => {
      const workers = await nginxActiveWorkers(host)
      return workers.length > 0 && workers.every((pid) => !oldWorkers.has(pid))
    },
    {
      timeoutMs: SERVICE_TIMEOUT_MS,
      what: `nginx on ${host.name} to replace its workers after reload`,
      describeFailure: async () => (await host.exec('tail -n 20 /var/log/nginx/error.log', {allowFail: true})).stdout,
    },
  )
}

/** Set `key = value` in one section (default [www]) of a pool file inside the host. */
export async function setPoolDirective(
  host: LabHost,
  poolFile: string,
  key: string,
  value: string,
  section = 'www',
): Promise<void> {
  const before = await host.readFile(poolFile)
  await host.writeFile(poolFile, setPoolDirectiveText(before, section, key, value))
}

/** Every `listen` of every pool, as php-fpm itself resolves the configuration (`-tt`, on stderr). */
export async function fpmListeners(host: LabHost): Promise<string[]> {
  const {stdout} = await host.exec(`${FPM_BINARY} -tt 2>&1`)
  return [...stdout.matchAll(/NOTICE:\s+listen = (\S+)\s*$/gm)].map((match) => match[1]!)
}

async function fpmMasterPid(host: LabHost): Promise<number | undefined> {
  const pidFile = shellQuote(FPM_PID_FILE)
  const {stdout} = await host.exec(`pid=$(cat ${pidFile} 2>/dev/null) && kill -0 "$pid" 2>/dev/null && echo "$pid"`, {
    allowFail: true,
  })
  const pid = Number.parseInt(stdout, 10)
  return Number.isInteger(pid) ? pid : undefined
}

async function fpmListening(host: LabHost): Promise<boolean> {
  const listeners = await fpmListeners(host)
  const unixReady =
    (await socketInodes(host, listeners.filter(isUnixListener))).size === listeners.filter(isUnixListener).length
  const tcpReady = await Promise.all(
    listeners.filter((listener) => !isUnixListener(listener)).map((listener) => tcpAccepts(...tcpDialTarget(listener))),
  )
  return unixReady && tcpReady.every(Boolean)
}

function isUnixListener(listen: string): boolean {
  return listen.startsWith('/')
}

/**
 * Where to connect to reach a TCP `listen` ("9000", "127.0.0.1:9000", "[::1]:9000"): the lab shares the
 * machine's network, and an IPv6 loopback listener takes no IPv4 connection.
 */
function tcpDialTarget(listen: string): [number, number, string] {
  const port = Number.parseInt(listen.slice(listen.lastIndexOf(':') + 1), 10)
  const host =
    /^\[(.*)\]:\d+$/.exec(listen)?.[1] ?? (listen.includes(':') ? listen.slice(0, listen.lastIndexOf(':')) : '')
  const dial = host === '' || host === '0.0.0.0' || host === '*' ? '127.0.0.1' : host === '::' ? '::1' : host
  return [port, 1_000, dial]
}

/** Inode of each existing unix socket among `paths`. */
async function socketInodes(host: LabHost, paths: readonly string[]): Promise<Map<string, string>> {
  const inodes = new Map<string, string>()
  for (const path of paths) {
    const {code, stdout} = await host.exec(`test -S ${shellQuote(path)} && stat -c %i -- ${shellQuote(path)}`, {
      allowFail: true,
    })
    if (code === 0) inodes.set(path, stdout.trim())
  }
  return inodes
}

/** Workers of the current master that accept requests (not the ones draining after a reload). */
async function nginxActiveWorkers(host: LabHost): Promise<number[]> {
  const script = `master=$(cat ${shellQuote(NGINX_PID_FILE)}) && ps -o pid=,args= --ppid "$master"`
  const {stdout} = await host.exec(script, {allowFail: true})
  return stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(.*?)\s*$/.exec(line))
    .filter((match) => match?.[2] === 'nginx: worker process')
    .map((match) => Number(match![1]))
}

async function fpmLogTail(host: LabHost): Promise<string> {
  return (await host.exec('tail -n 20 /var/log/php8.2-fpm.log', {allowFail: true})).stdout
}
