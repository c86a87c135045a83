/**
 * The README's first command: two real lab hosts (sshd + nginx + php8.2-fpm), one
 * healthy and one where nginx still points at a PHP 8.1 socket after an upgrade to
 * 8.2. Shows the 502, runs `fpmfix plan` against both over SSH, then tears down.
 */
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import {reloadNginx, startLab} from './lab/index.js'

const repo = fileURLToPath(new URL('../..', import.meta.url))
const lab = await startLab({hosts: 2, namePrefix: 'demo'})
try {
  const [healthy, broken] = lab.hosts as [(typeof lab.hosts)[0], (typeof lab.hosts)[0]]
  await broken.exec(`sed -i 's#php8.2-fpm.sock#php8.1-fpm.sock#' /etc/nginx/sites-available/lab`)
  await reloadNginx(broken)
  for (const host of [healthy, broken]) {
    const answer = await host.http('/index.php')
    process.stderr.write(`${host.name}: GET http://127.0.0.1:${host.httpPort}/index.php → ${answer.status}\n`)
  }
  process.stderr.write(`\n$ fpmfix plan -i ${lab.inventoryPath} all --known-hosts ${lab.knownHostsPath}\n\n`)
  const plan = spawnSync(
    process.execPath,
    [
      `${repo}/bin/run.js`,
      'plan',
      '-i',
      lab.inventoryPath,
      'all',
      '--known-hosts',
      lab.knownHostsPath,
      ...process.argv.slice(2),
    ],
    {stdio: 'inherit'},
  )
  process.exitCode = plan.status ?? 1
} finally {
  await lab.stop()
}
