import {shellQuote} from '../../../src/util/shell-quote.js'
import {
  FPM_BINARY,
  FPM_PID_FILE,
  FPM_POOL_FILE,
  FPM_SERVICE,
  FPM_SOCKET,
  LAB_SITE_AVAILABLE,
  LAB_WEB_ROOT,
} from './host-files.js'
import {httpGet, type HttpResult} from './http-probe.js'
import {LabError} from './lab-error.js'
import type {LabHost} from './lab-host.js'
import {reloadNginx, restartFpm, setPoolDirective, stopFpm} from './faults.js'
import {waitFor} from './wait.js'

/** A host-side fault that makes nginx answer 502, and the traffic that shows it. */
export interface Fault502 {
  /** A request path that answers 502 while the fault is in place. */
  failingPath: string
  /** Concurrent requests needed to see the 502 (1 unless the fault only shows under load). */
  concurrency: number
  /** Paths on the same host that must keep answering 200. */
  healthyPaths: string[]
}

export const NGINX_CONF = '/etc/nginx/nginx.conf'
export const PHP81_SOCKET = '/run/php/php8.1-fpm.sock'
export const PHP_UPSTREAM_CONF = '/etc/nginx/conf.d/php-upstream.conf'
export const SHOP_POOL_FILE = '/etc/php/8.2/fpm/pool.d/shop.conf'
export const SHOP_SOCKET = '/run/php/php8.2-fpm-shop.sock'
export const SHOP_PATH = '/shop/index.php'

export const FPM_LOG = '/var/log/php8.2-fpm.log'
export const NGINX_ERROR_LOG = '/var/log/nginx/error.log'
export const WAIT_MS = 30_000
export const PHP_LOCATION_PASS = `fastcgi_pass unix:${FPM_SOCKET};`

/** Send `fault.concurrency` GETs of the failing path at once. */
export function provoke(host: LabHost, fault: Fault502): Promise<HttpResult[]> {
  return burst(host, fault.failingPath, fault.concurrency)
}

/**
 * Resolves once log lines written up to `provokedAt` (epoch ms) lie in a second at least two
 * seconds before the next step: nginx and php-fpm log whole seconds, and fpmfix knows a restart's
 * time to the second, so lines from the second of a fix (or the one before it) may count as the
 * live config's. Tests that fix what they provoked and then expect a clean re-plan wait for this.
 * Two seconds suffice because neither generation rests on process ages alone: php-fpm logs each
 * (re)start's second ("fpm is running"), and nginx's lines name the worker that wrote them.
 */
export async function logSecondsPassed(provokedAt: number): Promise<void> {
  const wait = Math.floor(provokedAt / 1000) * 1000 + 2_100 - Date.now()
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
}

/** `count` concurrent GETs of one path on fresh connections. */
export function burst(host: LabHost, path: string, count: number): Promise<HttpResult[]> {
  return Promise.all(Array.from({length: count}, () => httpGetLargeHeaders(host.httpPort, path)))
}

/**
 * Like host.http, but reads response headers up to 256 KiB: once nginx's buffers are raised,
 * /big-header.php?kb=16 answers with more header than Node's default 16 KiB parser limit.
 */
export function httpGetLargeHeaders(port: number, path: string, timeoutMs = 90_000): Promise<HttpResult> {
  return httpGet(port, path, timeoutMs, 256 * 1024)
}

/** A PHP upgrade installed and started 8.2, but the site still passes to 8.1's socket. */
export async function versionSocketMismatch(host: LabHost): Promise<Fault502> {
  await editFile(host, LAB_SITE_AVAILABLE, (site) =>
    replaceOnce(site, PHP_LOCATION_PASS, `fastcgi_pass unix:${PHP81_SOCKET};`),
  )
  await reloadNginx(host)
  return confirmed(host, single('/index.php'))
}

/** php-fpm is not running at all. */
export async function fpmStopped(host: LabHost): Promise<Fault502> {
  await stopFpm(host)
  await waitFor(async () => !(await pathExists(host, FPM_SOCKET)), {
    timeoutMs: WAIT_MS,
    what: `${FPM_SOCKET} to disappear on ${host.name}`,
  })
  return confirmed(host, single('/index.php'))
}

/** The pool hands its socket to root:root 0660, so nginx's www-data workers get EACCES. */
export async function socketOwnedByRoot(host: LabHost): Promise<Fault502> {
  await setPoolDirective(host, FPM_POOL_FILE, 'listen.owner', 'root')
  await setPoolDirective(host, FPM_POOL_FILE, 'listen.group', 'root')
  await setPoolDirective(host, FPM_POOL_FILE, 'listen.mode', '0660')
  await restartFpm(host)
  await waitForSocketOwner(host, FPM_SOCKET, 'root:root')
  return confirmed(host, single('/index.php'))
}

/**
 * `listen.acl_users = root` makes php-fpm ignore listen.owner/group ("ACL set, listen.owner = 'www-data'
 * is ignored"): the socket belongs to root with an ACL entry for root only.
 */
export async function aclOverridesOwner(host: LabHost): Promise<Fault502> {
  await setPoolDirective(host, FPM_POOL_FILE, 'listen.owner', 'www-data')
  await setPoolDirective(host, FPM_POOL_FILE, 'listen.acl_users', 'root')
  await restartFpm(host)
  await waitFor(async () => (await socketAcl(host, FPM_SOCKET)).includes('user:root:rw-'), {
    timeoutMs: WAIT_MS,
    what: `an ACL entry for root on ${FPM_SOCKET} of ${host.name}`,
    describeFailure: () => logTail(host, FPM_LOG),
  })
  return confirmed(host, single('/index.php'))
}

/** The pool listens on TCP sparePorts[0]; nginx's `upstream php` points at sparePorts[1], where nothing listens. */
export async function tcpPortMismatchViaUpstream(host: LabHost): Promise<Fault502> {
  const [poolPort, upstreamPort] = sparePortPair(host)
  await setPoolDirective(host, FPM_POOL_FILE, 'listen', `127.0.0.1:${poolPort}`)
  await restartFpm(host)
  await host.writeFile(PHP_UPSTREAM_CONF, `upstream php {\n\tserver 127.0.0.1:${upstreamPort};\n}\n`, 0o644)
  await editFile(host, LAB_SITE_AVAILABLE, (site) => replaceOnce(site, PHP_LOCATION_PASS, 'fastcgi_pass php;'))
  await reloadNginx(host)
  return confirmed(host, single('/index.php'))
}

/**
 * Two static children and a listen queue of 2: a burst of slow requests overflows the queue and the
 * kernel answers EAGAIN (nginx: "connect() … failed (11: Resource temporarily unavailable)").
 */
export async function poolExhausted(host: LabHost): Promise<Fault502> {
  await setPoolDirective(host, FPM_POOL_FILE, 'pm', 'static')
  await setPoolDirective(host, FPM_POOL_FILE, 'pm.max_children', '2')
  await setPoolDirective(host, FPM_POOL_FILE, 'listen.backlog', '2')
  await restartFpm(host)
  await waitFor(async () => (await fpmWorkerPids(host)).length === 2, {
    timeoutMs: WAIT_MS,
    what: `exactly 2 static php-fpm children on ${host.name}`,
  })
  return {failingPath: '/slow.php?s=3', concurrency: 12, healthyPaths: []}
}

/** php-fpm kills any request older than 2 s, well before nginx's 60 s fastcgi_read_timeout. */
export async function terminateTimeoutKills(host: LabHost): Promise<Fault502> {
  await setPoolDirective(host, FPM_POOL_FILE, 'request_terminate_timeout', '2s')
  await reloadFpm(host)
  return confirmed(host, single('/slow.php?s=4'))
}

/** Nothing to inject: a 16 KiB response header exceeds nginx's default fastcgi_buffer_size. */
export async function bigHeaders(host: LabHost): Promise<Fault502> {
  return confirmed(host, single('/big-header.php?kb=16'))
}

/**
 * A second pool [shop] behind `location ^~ /shop/`, working first, then broken alone: its socket is
 * handed to root:root. /index.php (pool www) keeps answering 200.
 */
export async function secondPoolBroken(host: LabHost): Promise<Fault502> {
  await host.writeFile(`${LAB_WEB_ROOT}/shop/index.php`, "<?php\necho 'shop ok';\n", 0o644)
  await host.writeFile(SHOP_POOL_FILE, SHOP_POOL, 0o644)
  await editFile(host, LAB_SITE_AVAILABLE, (site) => insertBeforeServerEnd(site, SHOP_LOCATION))
  await restartFpm(host)
  await reloadNginx(host)
  await expectStatus(host, SHOP_PATH, 200)

  await setPoolDirective(host, SHOP_POOL_FILE, 'listen.owner', 'root', 'shop')
  await setPoolDirective(host, SHOP_POOL_FILE, 'listen.group', 'root', 'shop')
  await restartFpm(host)
  await waitForSocketOwner(host, SHOP_SOCKET, 'root:root')
  return confirmed(host, {failingPath: SHOP_PATH, concurrency: 1, healthyPaths: ['/index.php']})
}

/**
 * pm.min_spare_servers above pm.max_children: `php-fpm -t` fails and the restart leaves php-fpm down
 * (Debian's init script still exits 0, so wait for the socket and the processes to go).
 */
export async function invalidPmValues(host: LabHost): Promise<Fault502> {
  await setPoolDirective(host, FPM_POOL_FILE, 'pm', 'dynamic')
  await setPoolDirective(host, FPM_POOL_FILE, 'pm.max_children', '2')
  await setPoolDirective(host, FPM_POOL_FILE, 'pm.min_spare_servers', '3')
  const test = await host.exec(`${FPM_BINARY} -t 2>&1`, {allowFail: true})
  if (test.code === 0)
    throw new LabError(`${FPM_BINARY} -t accepted the invalid pm values on ${host.name}`, {
      host: host.name,
      log: test.stdout,
    })
  await host.exec(`service ${FPM_SERVICE} restart`, {allowFail: true})
  await waitFor(async () => !(await pathExists(host, FPM_SOCKET)) && !(await fpmRunning(host)), {
    timeoutMs: WAIT_MS,
    what: `php-fpm on ${host.name} to stay down after a restart with invalid pm values`,
    describeFailure: () => logTail(host, FPM_LOG),
  })
  return confirmed(host, single('/index.php'))
}

/** nginx's workers run as nobody:nogroup, which has no access to the www-data:www-data 0660 socket. */
export async function nginxRunsAsOtherUser(host: LabHost): Promise<Fault502> {
  await editFile(host, NGINX_CONF, (conf) => replaceOnce(conf, 'user www-data;', 'user nobody nogroup;'))
  await reloadNginx(host)
  await waitFor(async () => (await nginxWorkerUsers(host)).every((user) => user === 'nobody'), {
    timeoutMs: WAIT_MS,
    what: `nginx workers of ${host.name} to run as nobody`,
  })
  return confirmed(host, single('/index.php'))
}

/** `service php8.2-fpm reload` (SIGUSR2): same master, new children; wait until every child is new. */
export async function reloadFpm(host: LabHost): Promise<void> {
  const before = new Set(await fpmWorkerPids(host))
  if (before.size === 0)
    throw new LabError(`php-fpm is not running on ${host.name}; nothing to reload`, {host: host.name})
  await host.exec(`service ${FPM_SERVICE} reload`)
  await waitFor(
    async () => {
      const workers = await fpmWorkerPids(host)
      return workers.length > 0 && workers.every((pid) => !before.has(pid)) && (await pathExists(host, FPM_SOCKET))
    },
    {
      timeoutMs: WAIT_MS,
      what: `php-fpm on ${host.name} to replace its children after reload`,
      describeFailure: () => logTail(host, FPM_LOG),
    },
  )
}

/** `service nginx restart`, waiting for a new master with workers. */
export async function restartNginx(host: LabHost): Promise<void> {
  await host.exec('nginx -t -q')
  const before = await nginxMasterPid(host)
  await host.exec('service nginx restart')
  await waitFor(
    async () => {
      const master = await nginxMasterPid(host)
      return master !== undefined && master !== before && (await nginxWorkerUsers(host)).length > 0
    },
    {
      timeoutMs: WAIT_MS,
      what: `nginx on ${host.name} to restart`,
      describeFailure: () => logTail(host, NGINX_ERROR_LOG),
    },
  )
}

/** Poll until `path` answers `status` (a change made through a reload can take a moment to be served). */
export async function expectStatus(host: LabHost, path: string, status: number): Promise<HttpResult> {
  let last: HttpResult | undefined
  return waitFor(
    async () => {
      last = await httpGetLargeHeaders(host.httpPort, path)
      return last.status === status && last
    },
    {
      timeoutMs: WAIT_MS,
      intervalMs: 200,
      what: `${path} on ${host.name} to answer ${status}`,
      describeFailure: async () => `last answer: ${JSON.stringify(last)}\n${await logTail(host, NGINX_ERROR_LOG)}`,
    },
  )
}

export async function fpmWorkerPids(host: LabHost): Promise<number[]> {
  const script = `master=$(cat ${shellQuote(FPM_PID_FILE)} 2>/dev/null) && ps -o pid=,args= --ppid "$master"`
  const {stdout} = await host.exec(script, {allowFail: true})
  return stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+php-fpm: pool \S+\s*$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => Number(match[1]))
}

export async function socketOwner(host: LabHost, path: string): Promise<string | undefined> {
  const {code, stdout} = await host.exec(`test -S ${shellQuote(path)} && stat -c %U:%G -- ${shellQuote(path)}`, {
    allowFail: true,
  })
  return code === 0 ? stdout.trim() : undefined
}

export async function pathExists(host: LabHost, path: string): Promise<boolean> {
  return (await host.exec(`test -e ${shellQuote(path)}`, {allowFail: true})).code === 0
}

/** Wait until the fault shows: its path answers `status` (502 unless given) and the healthy paths 200. */
export async function confirmed(host: LabHost, fault: Fault502, status = 502): Promise<Fault502> {
  await expectStatus(host, fault.failingPath, status)
  for (const path of fault.healthyPaths) await expectStatus(host, path, 200)
  return fault
}

export function single(path: string): Fault502 {
  return {failingPath: path, concurrency: 1, healthyPaths: []}
}

export async function waitForSocketOwner(host: LabHost, path: string, owner: string): Promise<void> {
  await waitFor(async () => (await socketOwner(host, path)) === owner, {
    timeoutMs: WAIT_MS,
    what: `${path} on ${host.name} to belong to ${owner}`,
    describeFailure: () => logTail(host, FPM_LOG),
  })
}

async function socketAcl(host: LabHost, path: string): Promise<string> {
  return (await host.exec(`getfacl -p -- ${shellQuote(path)}`, {allowFail: true})).stdout
}

async function fpmRunning(host: LabHost): Promise<boolean> {
  return (await host.exec(`pgrep -x ${FPM_BINARY}`, {allowFail: true})).code === 0
}

export async function nginxMasterPid(host: LabHost): Promise<number | undefined> {
  const {stdout} = await host.exec(
    'pid=$(cat /run/nginx.pid 2>/dev/null) && kill -0 "$pid" 2>/dev/null && echo "$pid"',
    {allowFail: true},
  )
  const pid = Number.parseInt(stdout, 10)
  return Number.isInteger(pid) ? pid : undefined
}

async function nginxWorkerUsers(host: LabHost): Promise<string[]> {
  const {stdout} = await host.exec('master=$(cat /run/nginx.pid) && ps -o user=,args= --ppid "$master"', {
    allowFail: true,
  })
  return stdout
    .split('\n')
    .map((line) => /^(\S+)\s+nginx: worker process\s*$/.exec(line.trim()))
    .filter((match) => match !== null)
    .map((match) => match[1]!)
}

export async function logTail(host: LabHost, path: string): Promise<string> {
  return (await host.exec(`tail -n 20 -- ${shellQuote(path)}`, {allowFail: true})).stdout
}

export async function editFile(host: LabHost, path: string, edit: (text: string) => string): Promise<void> {
  await host.writeFile(path, edit(await host.readFile(path)))
}

export function replaceOnce(text: string, search: string, replacement: string): string {
  const first = text.indexOf(search)
  if (first === -1 || text.indexOf(search, first + 1) !== -1) {
    throw new LabError(`expected exactly one "${search}" in the file being edited`, {log: text})
  }
  return text.slice(0, first) + replacement + text.slice(first + search.length)
}

export function insertBeforeServerEnd(site: string, block: string): string {
  const end = site.lastIndexOf('}')
  if (end === -1) throw new LabError('the lab site has no closing brace', {log: site})
  return `${site.slice(0, end)}${block}${site.slice(end)}`
}

export function sparePortPair(host: LabHost): [number, number] {
  const [first, second] = host.sparePorts
  if (first === undefined || second === undefined) throw new LabError(`${host.name} has fewer than two spare ports`)
  return [first, second]
}

const SHOP_LOCATION = `
\tlocation ^~ /shop/ {
\t\tlocation ~ \\.php$ {
\t\t\tinclude snippets/fastcgi-php.conf;
\t\t\tfastcgi_pass unix:${SHOP_SOCKET};
\t\t}
\t}
`

const SHOP_POOL = `[shop]
user = www-data
group = www-data
listen = ${SHOP_SOCKET}
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm = dynamic
pm.max_children = 5
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 3
`
