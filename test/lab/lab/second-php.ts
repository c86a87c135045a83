import {readFile} from 'node:fs/promises'

import {shellQuote} from '../../../src/util/shell-quote.js'
import {expectStatus} from './faults-502.js'
import {reloadNginx} from './faults.js'
import {LAB_SITE_AVAILABLE, LAB_WEB_ROOT} from './host-files.js'
import type {LabHost} from './lab-host.js'
import {waitFor} from './wait.js'

/** The emulated older PHP version: Debian's names for it. */
export const OLD_PHP = {
  version: '8.1',
  service: 'php8.1-fpm',
  binary: '/usr/sbin/php-fpm8.1',
  mainConfig: '/etc/php/8.1/fpm/php-fpm.conf',
  poolFile: '/etc/php/8.1/fpm/pool.d/app.conf',
  socket: '/run/php/php8.1-fpm.sock',
  log: '/var/log/php8.1-fpm.log',
} as const

/** nginx reaches the app pool through an upstream in conf.d (the site names the upstream). */
export const APP_UPSTREAM_CONF = '/etc/nginx/conf.d/app-php.conf'
/** Answers `<APP_ENV> <memory_limit>`: which pool settings served the request. */
export const APP_PROBE_PATH = '/app-env.php'

/** The application's pool on the old version: its own user, tuned pm, limits, environment and timeouts. */
export const APP_POOL = `; The application's pool, tuned over the years.
[app]
user = app
group = app

listen = ${OLD_PHP.socket}
listen.owner = www-data
listen.group = www-data
listen.mode = 0660

pm = dynamic
pm.max_children = 7
pm.start_servers = 3
pm.min_spare_servers = 2
pm.max_spare_servers = 4
pm.max_requests = 300
pm.max_spawn_rate = 4
pm.status_path = /app-status
ping.path = /app-ping

request_terminate_timeout = 75s
request_slowlog_timeout = 20s
slowlog = /var/log/php8.1-fpm-$pool.slow.log
catch_workers_output = yes

php_admin_value[memory_limit] = 96M
php_admin_flag[log_errors] = on
php_value[max_execution_time] = 60
env[APP_ENV] = lab
env[APP_TIER] = "web front"
`

/**
 * Give a lab host a second PHP version the way an upgrade leaves it: php8.1-fpm (an emulated
 * install, see second-php.sh, all inside the host's own mount namespace) running the `app` pool
 * that the site is served by through an upstream, next to the packaged php8.2-fpm and its default
 * www pool. Returns once the site answers through the 8.1 pool.
 */
export async function emulateOldPhp(host: LabHost): Promise<void> {
  await host.exec('id -u app >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin app')
  await host.writeFile(OLD_PHP.poolFile, APP_POOL)
  const script = await readFile(new URL('./second-php.sh', import.meta.url), 'utf8')
  await host.exec(`OLD=${OLD_PHP.version}\nNEW=8.2\nexport OLD NEW\n${script}`)
  await waitFor(async () => (await host.exec(`test -S ${shellQuote(OLD_PHP.socket)}`, {allowFail: true})).code === 0, {
    timeoutMs: 30_000,
    what: `php8.1-fpm on ${host.name} to listen on ${OLD_PHP.socket}`,
    describeFailure: async () => (await host.exec(`tail -n 20 ${OLD_PHP.log}`, {allowFail: true})).stdout,
  })
  await host.writeFile(APP_UPSTREAM_CONF, `upstream app_php {\n\tserver unix:${OLD_PHP.socket};\n}\n`)
  const site = await host.readFile(LAB_SITE_AVAILABLE)
  const moved = site.replace(/fastcgi_pass unix:\/run\/php\/php8\.2-fpm\.sock;/, 'fastcgi_pass app_php;')
  if (moved === site) throw new Error(`${LAB_SITE_AVAILABLE} on ${host.name} has no fastcgi_pass to the 8.2 socket`)
  await host.writeFile(LAB_SITE_AVAILABLE, moved)
  await host.writeFile(
    `${LAB_WEB_ROOT}${APP_PROBE_PATH}`,
    "<?php\necho getenv('APP_ENV'), ' ', ini_get('memory_limit');\n",
  )
  await reloadNginx(host)
  const answer = await expectStatus(host, APP_PROBE_PATH, 200)
  if (answer.body !== 'lab 96M') throw new Error(`${host.name} answers "${answer.body}" through the 8.1 app pool`)
}
