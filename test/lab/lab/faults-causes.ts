import {shellQuote} from '../../../src/util/shell-quote.js'
import {FPM_POOL_FILE, FPM_SERVICE, FPM_SOCKET, LAB_SITE_AVAILABLE, LAB_WEB_ROOT} from './host-files.js'
import {
  confirmed,
  editFile,
  expectStatus,
  type Fault502,
  FPM_LOG,
  insertBeforeServerEnd,
  NGINX_ERROR_LOG,
  nginxMasterPid,
  PHP_LOCATION_PASS,
  PHP81_SOCKET,
  replaceOnce,
  single,
  sparePortPair,
  WAIT_MS,
  waitForSocketOwner,
} from './faults-502.js'
import {reloadNginx, restartFpm, setPoolDirective, stopFpm} from './faults.js'
import {LabError} from './lab-error.js'
import type {LabHost} from './lab-host.js'
import {waitFor} from './wait.js'

/** A fault, and the status (502 or 504) its failing path answers while it is in place. */
export interface CauseFault extends Fault502 {
  status: number
}

export const SYMLINKED_SOCKET = `/var/run/php/${FPM_SOCKET.split('/').pop()!}`
export const HIDDEN_SOCKET_DIR = '/run/php-hidden'
export const HIDDEN_POOL_FILE = '/etc/php/8.2/fpm/pool.d/hidden.conf'
export const HIDDEN_PATH = '/hidden/index.php'
export const SLOW_PATH = '/slow.php?s=4'

async function fault(host: LabHost, base: Fault502, status = 502): Promise<CauseFault> {
  return {...(await confirmed(host, base, status)), status}
}

/**
 * A container-style site: the PHP backend is chosen once with `set $php_backend …` and passed as a
 * variable; after an upgrade it still names PHP 8.1's socket.
 */
export async function variableSetToDeadSocket(host: LabHost): Promise<CauseFault> {
  await editFile(host, LAB_SITE_AVAILABLE, (site) => {
    const withSet = replaceOnce(
      site,
      '\tindex index.php index.html;\n',
      `\tindex index.php index.html;\n\tset $php_backend unix:${PHP81_SOCKET};\n`,
    )
    return replaceOnce(withSet, PHP_LOCATION_PASS, 'fastcgi_pass $php_backend;')
  })
  await reloadNginx(host)
  return fault(host, single('/index.php'))
}

/**
 * The pool and the site use TCP sparePorts[0], but PHP's built-in web server (`php -S`, a developer's
 * leftover) holds that port: php-fpm cannot bind it and does not start; nginx reaches the HTTP server.
 */
export async function portTakenByAnotherProgram(host: LabHost): Promise<CauseFault> {
  const [port] = sparePortPair(host)
  await stopFpm(host)
  await setPoolDirective(host, FPM_POOL_FILE, 'listen', `127.0.0.1:${port}`)
  await host.exec(`setsid php -S 127.0.0.1:${port} -t /tmp </dev/null >/dev/null 2>&1 &`)
  await waitFor(async () => (await host.exec(`ss -Hltn 'sport = :${port}'`)).stdout.trim() !== '', {
    timeoutMs: WAIT_MS,
    what: `php -S to listen on ${port} on ${host.name}`,
  })
  await host.exec(`service ${FPM_SERVICE} start`, {allowFail: true})
  await waitFor(async () => (await host.readFile(FPM_LOG)).includes('Address already in use'), {
    timeoutMs: WAIT_MS,
    what: `php-fpm on ${host.name} to fail to bind ${port}`,
  })
  await editFile(host, LAB_SITE_AVAILABLE, (site) =>
    replaceOnce(site, PHP_LOCATION_PASS, `fastcgi_pass 127.0.0.1:${port};`),
  )
  await reloadNginx(host)
  return fault(host, single('/index.php'))
}

/** The site passes PHP to nginx's own HTTP port: what answers is not FastCGI (nginx reads 'H' as its version). */
export async function passToHttpPort(host: LabHost): Promise<CauseFault> {
  await editFile(host, LAB_SITE_AVAILABLE, (site) =>
    replaceOnce(site, PHP_LOCATION_PASS, `fastcgi_pass 127.0.0.1:${host.httpPort};`),
  )
  await reloadNginx(host)
  return fault(host, single('/index.php'))
}

/**
 * The pool on TCP sparePorts[0] accepts only 127.0.0.2 (listen.allowed_clients), while nginx connects from
 * 127.0.0.1: php-fpm drops every connection. catch_workers_output makes php-fpm log the drop.
 */
export async function allowedClientsExcludeNginx(
  host: LabHost,
  options: {allowed: string; bind?: string} = {allowed: '127.0.0.2'},
): Promise<CauseFault> {
  const [port] = sparePortPair(host)
  await setPoolDirective(host, FPM_POOL_FILE, 'listen', `127.0.0.1:${port}`)
  await setPoolDirective(host, FPM_POOL_FILE, 'listen.allowed_clients', options.allowed)
  await setPoolDirective(host, FPM_POOL_FILE, 'catch_workers_output', 'yes')
  await restartFpm(host)
  const bind = options.bind === undefined ? '' : ` fastcgi_bind ${options.bind};`
  await editFile(host, LAB_SITE_AVAILABLE, (site) =>
    replaceOnce(site, PHP_LOCATION_PASS, `fastcgi_pass 127.0.0.1:${port};${bind}`),
  )
  await reloadNginx(host)
  const dropped = await fault(host, single('/index.php'))
  // The master writes a worker's stderr to the log on its own schedule: wait for the line itself.
  await waitFor(async () => (await host.readFile(FPM_LOG)).includes('Connection disallowed: IP address'), {
    timeoutMs: WAIT_MS,
    what: `php-fpm on ${host.name} to log the dropped connection`,
  })
  return dropped
}

/**
 * A second pool [hidden] behind `location ^~ /hidden/` keeps its socket in /run/php-hidden, a directory
 * only root may search: nginx's www-data workers get EACCES. /index.php (pool www, /run/php) keeps working.
 */
export async function socketInUnsearchableDirectory(host: LabHost): Promise<CauseFault> {
  const socket = `${HIDDEN_SOCKET_DIR}/hidden.sock`
  await host.exec(`install -d -o root -g root -m 0700 ${shellQuote(HIDDEN_SOCKET_DIR)}`)
  await host.writeFile(`${LAB_WEB_ROOT}/hidden/index.php`, "<?php\necho 'hidden ok';\n", 0o644)
  await host.writeFile(HIDDEN_POOL_FILE, hiddenPool(socket), 0o644)
  await editFile(host, LAB_SITE_AVAILABLE, (site) =>
    insertBeforeServerEnd(
      site,
      `\n\tlocation ^~ /hidden/ {\n\t\tlocation ~ \\.php$ {\n\t\t\tinclude snippets/fastcgi-php.conf;\n\t\t\tfastcgi_pass unix:${socket};\n\t\t}\n\t}\n`,
    ),
  )
  await restartFpm(host)
  await reloadNginx(host)
  return fault(host, {failingPath: HIDDEN_PATH, concurrency: 1, healthyPaths: ['/index.php']})
}

function hiddenPool(socket: string): string {
  return [
    '[hidden]',
    'user = www-data',
    'group = www-data',
    `listen = ${socket}`,
    'listen.owner = www-data',
    'listen.group = www-data',
    'listen.mode = 0660',
    'pm = ondemand',
    'pm.max_children = 2',
    '',
  ].join('\n')
}

/**
 * nginx waits 2 s for the response header of a request that takes 4: a 504 every time. The pool's PHP
 * limit (Debian's php.ini max_execution_time = 30) lets such requests run.
 */
export async function readTimeoutShorterThanRequests(host: LabHost): Promise<CauseFault> {
  await editFile(host, LAB_SITE_AVAILABLE, (site) =>
    replaceOnce(site, PHP_LOCATION_PASS, `${PHP_LOCATION_PASS}\n\t\tfastcgi_read_timeout 2s;`),
  )
  await reloadNginx(host)
  return fault(host, single(SLOW_PATH), 504)
}

/**
 * The pool names its socket through /var/run (a symlink to /run), as many templates write it, and hands it
 * to root:root: a socket-permission fix whose restart apply must see under the path php-fpm binds.
 */
export async function symlinkedSocketOwnedByRoot(host: LabHost): Promise<CauseFault> {
  await setPoolDirective(host, FPM_POOL_FILE, 'listen', SYMLINKED_SOCKET)
  await setPoolDirective(host, FPM_POOL_FILE, 'listen.owner', 'root')
  await setPoolDirective(host, FPM_POOL_FILE, 'listen.group', 'root')
  await restartFpm(host)
  await waitForSocketOwner(host, FPM_SOCKET, 'root:root')
  const bound = (await host.exec(`grep -c ${shellQuote(` ${SYMLINKED_SOCKET}$`)} /proc/net/unix`, {allowFail: true}))
    .stdout
  if (Number(bound) < 1)
    throw new LabError(`the kernel does not list ${SYMLINKED_SOCKET} as bound on ${host.name}`, {host: host.name})
  return fault(host, single('/index.php'))
}

/** The pool listens on [::1]:sparePorts[0] only; nginx passes to 127.0.0.1 on that port, where nothing listens. */
export async function ipv6OnlyPool(host: LabHost): Promise<CauseFault> {
  const [port] = sparePortPair(host)
  await setPoolDirective(host, FPM_POOL_FILE, 'listen', `[::1]:${port}`)
  await restartFpm(host)
  await editFile(host, LAB_SITE_AVAILABLE, (site) =>
    replaceOnce(site, PHP_LOCATION_PASS, `fastcgi_pass 127.0.0.1:${port};`),
  )
  await reloadNginx(host)
  return fault(host, single('/index.php'))
}

/** `service nginx stop`, waiting until no master is left and nothing answers on the site's port. */
export async function stopNginx(host: LabHost): Promise<void> {
  await host.exec('service nginx stop')
  await waitFor(
    async () => (await nginxMasterPid(host)) === undefined && (await host.http('/index.php')).status === 0,
    {
      timeoutMs: WAIT_MS,
      what: `nginx on ${host.name} to stop`,
      describeFailure: async () => (await host.exec(`tail -n 20 ${NGINX_ERROR_LOG}`, {allowFail: true})).stdout,
    },
  )
}

export {expectStatus}
