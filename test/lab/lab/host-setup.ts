import path from 'node:path'
import {shellQuote} from '../../../src/util/shell-quote.js'
import {
  FPM_SERVICE,
  type HostFile,
  LAB_HOME_BASE,
  LAB_LIMITED_PASSWORD,
  LAB_SITE_AVAILABLE,
  LAB_SITE_ENABLED,
} from './host-files.js'
import type {HostLayout} from './paths.js'

/**
 * pid 1 of a lab host (bash, because it reaps reparented orphans from its SIGCHLD handler).
 * It records its host-side pid while /proc is still the machine's, runs the setup script,
 * then idles until the launcher SIGKILLs it, which takes the whole namespace down.
 */
export function renderInitScript(layout: HostLayout): string {
  const q = shellQuote
  return `#!/bin/bash
read -r self_stat < /proc/self/stat
printf '%s\\n' "\${self_stat%% *}" > ${q(`${layout.initPidFile}.tmp`)}
mv ${q(`${layout.initPidFile}.tmp`)} ${q(layout.initPidFile)}
/bin/sh ${q(layout.setupScript)} > ${q(layout.setupLog)} 2>&1
printf '%s\\n' "$?" > ${q(`${layout.setupStatus}.tmp`)}
mv ${q(`${layout.setupStatus}.tmp`)} ${q(layout.setupStatus)}
trap : CHLD
while :; do
  wait
  sleep 1
done
`
}

export interface SetupScriptParams {
  name: string
  layout: HostLayout
  files: readonly HostFile[]
}

/** Turns the namespace into a Debian host: private /etc, /var, /run, /tmp, users, then the services. */
export function renderSetupScript({name, layout, files}: SetupScriptParams): string {
  const q = shellQuote
  const rw = layout.writableDir
  const installs = files.map(
    (file) =>
      `install -D -o root -g root -m ${file.mode.toString(8).padStart(4, '0')} ${q(payloadPath(layout, file.path))} ${q(file.path)}`,
  )
  return `set -eux
rw=${q(rw)}
mount --make-rprivate /
mkdir -p "$rw"
mount -t tmpfs -o mode=0700 lab-rw "$rw"
for dir in etc var; do
  mkdir "$rw/$dir-upper" "$rw/$dir-work"
  mount -t overlay overlay -o "lowerdir=/$dir,upperdir=$rw/$dir-upper,workdir=$rw/$dir-work" "/$dir"
done
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t proc proc /proc
hostname ${q(name)}
install -d -m 1777 /run/lock
install -d -m 0755 /run/sshd
# service(8) must take the init.d path, as on a Debian host without systemd
test ! -d /run/systemd/system

printf '127.0.1.1\\t%s\\n' ${q(name)} >> /etc/hosts
rm -f /etc/ssh/ssh_host_*
rm -f /etc/nginx/sites-enabled/default
${installs.join('\n')}
install -o root -g root -m 0600 ${q(layout.hostKey)} /etc/ssh/ssh_host_ed25519_key
install -o root -g root -m 0644 ${q(`${layout.hostKey}.pub`)} /etc/ssh/ssh_host_ed25519_key.pub
ln -sfn ${q(LAB_SITE_AVAILABLE)} ${q(LAB_SITE_ENABLED)}

mkdir -p ${q(LAB_HOME_BASE)}
for user in deploy limited; do
  id -u "$user" >/dev/null 2>&1 || useradd --create-home --home-dir ${q(LAB_HOME_BASE)}/"$user" --shell /bin/bash "$user"
done
printf 'limited:%s\\n' ${q(LAB_LIMITED_PASSWORD)} | chpasswd
visudo -cq

# Start from empty service logs: the lower /var holds whatever this machine logged.
rm -f /var/log/nginx/*.gz /var/log/nginx/*.log.* /var/log/php8.2-fpm.log.*
for log in /var/log/nginx/access.log /var/log/nginx/error.log /var/log/php8.2-fpm.log; do
  if [ -e "$log" ]; then : > "$log"; fi
done

service ${FPM_SERVICE} start
# The init script hides why a start fails; the config test says it in the setup log.
nginx -t -q
service nginx start
/usr/sbin/sshd -E /var/log/sshd.log
`
}

export function payloadPath(layout: HostLayout, hostPath: string): string {
  return path.join(layout.payloadDir, hostPath)
}
