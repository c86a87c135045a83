/**
 * Records fixtures/gather/debian12-{running,stopped}.txt: the gather script's raw output on a
 * stock Debian 12 host (the machine's own nginx and php8.2-fpm packages and configs, SysV init
 * scripts) with a "container" nginx running in a mount namespace of its own, then with both
 * services stopped. Re-run it whenever the sections the script prints change shape:
 *
 *   npx tsx test/lab/support/record-gather-captures.ts
 */
import {writeFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'
import {buildGatherScript} from '../../../src/gather/index.js'
import {newBoundary} from '../../../src/protocol/boundary.js'
import {startLayoutHost, type LayoutHost} from './layout-host.js'

const CAPTURES = fileURLToPath(new URL('../../../fixtures/gather/', import.meta.url))

const CONTAINER_NGINX = [
  "printf 'events {}\\nhttp { server { listen 8080; } }\\n' > /etc/nginx/container.conf",
  "unshare --mount -- /usr/sbin/nginx -c /etc/nginx/container.conf -g 'pid /run/container-nginx.pid; error_log /tmp/container.log;'",
].join('\n')

async function capture(host: LayoutHost, name: string): Promise<void> {
  const boundary = newBoundary()
  const result = await host.transport.exec('sh -s', {stdin: buildGatherScript(boundary), timeoutMs: 60_000})
  if (result.code !== 0) throw new Error(`the gather exited ${result.code}: ${result.stderr}`)
  await writeFile(`${CAPTURES}${name}.txt`, result.stdout)
  process.stderr.write(`wrote fixtures/gather/${name}.txt\n`)
}

async function run(command: string, host: LayoutHost): Promise<void> {
  const result = await host.exec(command)
  if (result.code !== 0) throw new Error(`${command} exited ${result.code}: ${result.stderr}`)
}

const host = await startLayoutHost({layout: 'debian-stock'})
try {
  await run(CONTAINER_NGINX, host)
  await capture(host, 'debian12-running')
  await run('service nginx stop && service php8.2-fpm stop', host)
  await capture(host, 'debian12-stopped')
} finally {
  await host.stop()
}
