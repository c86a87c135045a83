import type {FpmInstall, HostSnapshot, NginxInfo} from '../model/snapshot.js'

const NGINX_DENIED = /\(13: Permission denied\)/
const FPM_DENIED = /Permission denied \(13\)/

/** `nginx -T` failed only because the gathering user may not open what it needs (pid file, logs, certificates). */
export function nginxTestDenied(snapshot: Pick<HostSnapshot, 'uid'>, nginx: NginxInfo): string | undefined {
  const {code, stderr} = nginx.configDump
  if (snapshot.uid === 0 || code === 0 || code === null) return undefined
  return stderr.split('\n').find((line) => /\[(emerg|alert|crit)\]/.test(line) && NGINX_DENIED.test(line))
}

/** `php-fpm -t` failed only because the gathering user may not open its error log, pid file or config. */
export function fpmTestDenied(snapshot: Pick<HostSnapshot, 'uid'>, install: FpmInstall): string | undefined {
  const {code, output} = install.tt
  if (snapshot.uid === 0 || code === 0 || code === null) return undefined
  return output.split('\n').find((line) => FPM_DENIED.test(line))
}

/**
 * What a login without root could not read that a diagnosis needs: the config tests (their verdict is
 * then unknown, never a finding), config files and logs. Empty when gathered as root.
 */
export function unreadableByLogin(snapshot: HostSnapshot): string[] {
  if (snapshot.uid === 0) return []
  const items: string[] = []
  const strip = (line: string) =>
    line.replace(/^\S+ \S+ \[\w+\] \d+#\d+: /, '').replace(/^\[[^\]]+\] (?:ERROR|ALERT): /, '')
  if (snapshot.nginx.present) {
    const denied = nginxTestDenied(snapshot, snapshot.nginx)
    if (denied !== undefined) items.push(`nginx -T, so nginx's configuration (${strip(denied)})`)
  }
  for (const install of snapshot.fpmInstalls) {
    const denied = fpmTestDenied(snapshot, install)
    if (denied !== undefined) items.push(`${install.binary} -tt, so php-fpm's effective settings (${strip(denied)})`)
  }
  const files = [
    ...(snapshot.nginx.present ? snapshot.nginx.configFiles : []),
    ...snapshot.fpmInstalls.flatMap((install) => install.files),
  ]
  const unreadableFiles = [...new Set(files.filter((file) => file.exists && !file.readable).map((file) => file.path))]
  if (unreadableFiles.length > 0) items.push(`config files ${unreadableFiles.join(', ')}`)
  const masters = snapshot.processes.filter(
    (process) => process.kind === 'nginx-master' || process.kind === 'fpm-master',
  )
  if (masters.some((process) => process.exe === undefined))
    items.push("other users' processes, so whether the nginx and php-fpm masters seen are this host's or a container's")
  const logs = snapshot.logs.filter((log) => log.exists && !log.readable).map((log) => log.path)
  if (logs.length > 0) items.push(`logs ${logs.join(', ')}, so no log line is evidence`)
  return items
}

/** One line per host: who gathered, what could not be read, and what to do. */
export function unreadableNote(snapshot: HostSnapshot, items: string[]): string | undefined {
  if (items.length === 0) return undefined
  const who = `${snapshot.user ?? 'the login user'} (uid ${snapshot.uid})`
  return `gathered as ${who}, not root: could not read ${items.join('; ')} — causes that need them cannot be seen; use --become`
}
