import {cp, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import type {ExecOptions, ExecResult, Transport} from '../../../src/transport/transport.js'
import {shellQuote} from '../../../src/util/shell-quote.js'
import {renderInitScript} from '../lab/host-setup.js'
import {LabError} from '../lab/lab-error.js'
import {execInNamespace, killNamespace, spawnNamespace} from '../lab/namespace.js'
import {defaultLabBase, hostLayout} from '../lab/paths.js'
import {waitFor} from '../lab/wait.js'

/*
 * A host laid out like one of the fixture distros (fixtures/<layout>/), built in a namespace of
 * this machine: its /etc, /var and /usr are overlays of the machine's, with the distro's nginx and
 * php-fpm configs in place of Debian's, php-fpm at the distro's path, the distro's init system
 * (systemd and OpenRC stood in for by their state files and a small systemctl / rc-service),
 * and the daemons really running on its own loopback network. The php-fpm is this machine's
 * Debian build with its compiled-in paths patched to the distro build's (php.ini directory, scan
 * directory, default config), so `php-fpm -i`, `-tt` and a start behave as the distro's would.
 */

const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url))
const DEBIAN_FPM = '/usr/sbin/php-fpm8.2'

export type LayoutHostName =
  'debian-stock' | 'debian-php82' | 'debian-multi-php' | 'rhel-remi' | 'alpine-php82' | 'docker-php-fpm'

export interface LayoutHostOptions {
  layout: LayoutHostName
  /** Start nginx and php-fpm (default true). */
  running?: boolean
  /** Commands this host lacks (e.g. ss, getfacl, sha256sum, timeout). */
  missingTools?: string[]
}

export interface LayoutHost {
  name: string
  /** Runs commands inside the host as root, like an SSH session would. */
  transport: Transport
  exec(script: string): Promise<ExecResult>
  stop(): Promise<void>
}

interface FpmSpec {
  binary: string
  /** Compiled-in strings of the Debian build and what the distro's build has instead (NUL padded). */
  patches: Array<[string, string]>
  start: string
  service: string
  pidFile: string
}

interface LayoutSpec {
  /** The fixture tree whose etc/ and usr/ go in (none: the machine's own Debian configs stay). */
  fixture?: string
  /** Machine paths the distro does not have. */
  remove: string[]
  fpm: FpmSpec[]
  init: 'systemd' | 'sysv' | 'openrc' | 'none'
  nginxPidFile: string
  users: string[]
  groups: string[]
  /** Extra files by path. */
  files: Record<string, string>
  dirs: string[]
  /** Shell lines run after the files are in place. */
  prepare?: string[]
  /** What the distro's PHP has compiled in that a same-length patch cannot give (read by php -i only). */
  gatherEnv?: Record<string, string>
  /** The host's small tools are BusyBox applets, and /bin/sh is BusyBox ash. */
  busybox?: boolean
}

const DEBIAN_FPM_CONF_FORMAT = '%s/php/%d.%d/fpm/php-fpm.conf'
const DEBIAN_INI_DIR = '/etc/php/8.2/fpm'
const DEBIAN_SCAN_DIR = '/etc/php/8.2/fpm/conf.d'
const INI = '[PHP]\nmax_execution_time = 30\nmemory_limit = 128M\n'
const TIMEOUT_INI = '; raised for slow reports\nmax_execution_time = 120\n'

const LAYOUTS: Record<LayoutHostName, LayoutSpec> = {
  'debian-stock': {
    remove: [],
    fpm: [
      {
        binary: DEBIAN_FPM,
        patches: [],
        start: 'service php8.2-fpm start',
        service: 'php8.2-fpm',
        pidFile: '/run/php/php8.2-fpm.pid',
      },
    ],
    init: 'sysv',
    nginxPidFile: '/run/nginx.pid',
    users: [],
    groups: [],
    files: {},
    dirs: ['/run/php'],
  },
  'debian-php82': {
    fixture: 'debian-php82',
    remove: ['/etc/nginx', '/etc/php/8.2/fpm/pool.d', '/etc/php/8.2/fpm/php-fpm.conf'],
    fpm: [
      {
        binary: DEBIAN_FPM,
        patches: [],
        start: `${DEBIAN_FPM} --fpm-config /etc/php/8.2/fpm/php-fpm.conf`,
        service: 'php8.2-fpm',
        pidFile: '/run/php/php8.2-fpm.pid',
      },
    ],
    init: 'systemd',
    nginxPidFile: '/run/nginx.pid',
    users: [],
    groups: [],
    files: {'/etc/php/8.2/fpm/conf.d/99-timeouts.ini': TIMEOUT_INI},
    dirs: ['/run/php'],
  },
  'debian-multi-php': {
    fixture: 'debian-multi-php',
    remove: ['/etc/nginx', '/etc/php/8.2/fpm/pool.d', '/etc/php/8.2/fpm/php-fpm.conf'],
    fpm: [
      {
        binary: '/usr/sbin/php-fpm8.1',
        patches: [
          [DEBIAN_SCAN_DIR, '/etc/php/8.1/fpm/conf.d'],
          [DEBIAN_INI_DIR, '/etc/php/8.1/fpm'],
          [DEBIAN_FPM_CONF_FORMAT, '%s/php/8.1/fpm/php-fpm.conf'],
        ],
        start: '/usr/sbin/php-fpm8.1 --fpm-config /etc/php/8.1/fpm/php-fpm.conf',
        service: 'php8.1-fpm',
        pidFile: '/run/php/php8.1-fpm.pid',
      },
      {
        binary: DEBIAN_FPM,
        patches: [],
        start: `${DEBIAN_FPM} --fpm-config /etc/php/8.2/fpm/php-fpm.conf`,
        service: 'php8.2-fpm',
        pidFile: '/run/php/php8.2-fpm.pid',
      },
    ],
    init: 'sysv',
    nginxPidFile: '/run/nginx.pid',
    users: ['shop:1001'],
    groups: ['shop:1001'],
    files: {'/etc/php/8.1/fpm/conf.d/99-timeouts.ini': TIMEOUT_INI},
    dirs: ['/run/php'],
    prepare: [
      'cp -a /etc/php/8.2/fpm/php.ini /etc/php/8.1/fpm/php.ini',
      "sed 's/8\\.2/8.1/g' /etc/init.d/php8.2-fpm > /etc/init.d/php8.1-fpm",
      'chmod 755 /etc/init.d/php8.1-fpm',
    ],
  },
  'rhel-remi': {
    fixture: 'rhel-remi',
    remove: ['/etc/nginx', '/etc/php', DEBIAN_FPM, '/etc/init.d'],
    fpm: [
      {
        binary: '/usr/sbin/php-fpm',
        patches: [
          [DEBIAN_SCAN_DIR, '/etc/php.d'],
          [DEBIAN_INI_DIR, '/etc'],
          [DEBIAN_FPM_CONF_FORMAT, '%s/php-fpm.conf'],
        ],
        start: '/usr/sbin/php-fpm',
        service: 'php-fpm',
        pidFile: '/run/php-fpm/php-fpm.pid',
      },
    ],
    init: 'systemd',
    nginxPidFile: '/run/nginx.pid',
    users: ['apache:48', 'nginx:990'],
    groups: ['apache:48', 'nginx:990'],
    files: {
      '/etc/php.ini': INI,
      '/etc/php.d/10-opcache.ini': '; opcache settings\nopcache.enable_cli = 0\n',
      '/etc/php.d/99-timeouts.ini': TIMEOUT_INI,
    },
    dirs: ['/run/php-fpm', '/var/log/php-fpm', '/var/lib/php/session', '/var/lib/php/wsdlcache'],
  },
  'alpine-php82': {
    fixture: 'alpine-php82',
    remove: ['/etc/nginx', '/etc/php', DEBIAN_FPM, '/etc/init.d'],
    fpm: [
      {
        binary: '/usr/sbin/php-fpm82',
        patches: [
          [DEBIAN_SCAN_DIR, '/etc/php82/conf.d'],
          [DEBIAN_INI_DIR, '/etc/php82'],
          [DEBIAN_FPM_CONF_FORMAT, '%s/php82/php-fpm.conf'],
        ],
        start: '/usr/sbin/php-fpm82 --pid /run/php-fpm82.pid',
        service: 'php-fpm82',
        pidFile: '/run/php-fpm82.pid',
      },
    ],
    init: 'openrc',
    nginxPidFile: '/run/nginx.pid',
    users: ['nginx:990'],
    groups: ['nginx:990', 'nobody:65534'],
    files: {
      '/etc/php82/php.ini': INI,
      '/etc/php82/conf.d/00_opcache.ini': 'zend_extension=opcache\n',
      '/etc/php82/conf.d/50_timeouts.ini': TIMEOUT_INI,
      '/etc/init.d/php-fpm82': '#!/sbin/openrc-run\ncommand=/usr/sbin/php-fpm82\n',
      '/etc/init.d/nginx': '#!/sbin/openrc-run\ncommand=/usr/sbin/nginx\n',
    },
    dirs: ['/var/log/php82', '/run/nginx'],
    prepare: ['chmod 755 /etc/init.d/php-fpm82 /etc/init.d/nginx'],
    busybox: true,
  },
  'docker-php-fpm': {
    fixture: 'docker-php-fpm',
    remove: ['/etc/nginx', '/etc/php', DEBIAN_FPM, '/etc/init.d'],
    fpm: [
      {
        binary: '/usr/local/sbin/php-fpm',
        patches: [[DEBIAN_FPM_CONF_FORMAT, '/usr/local/etc/php-fpm.conf']],
        start: '/usr/local/sbin/php-fpm',
        service: 'php-fpm',
        pidFile: '',
      },
    ],
    init: 'none',
    nginxPidFile: '/var/run/nginx.pid',
    users: ['nginx:990'],
    groups: ['nginx:990'],
    files: {
      '/usr/local/etc/php/conf.d/docker-php-ext-sodium.ini': '; extension=sodium\n',
      '/usr/local/etc/php/conf.d/zz-timeouts.ini': TIMEOUT_INI,
    },
    dirs: [],
    gatherEnv: {PHP_INI_SCAN_DIR: '/usr/local/etc/php/conf.d'},
    prepare: [
      // nginx and php-fpm are two containers of one compose project; the site names the other by its service name.
      'echo "127.0.0.1 php" >> /etc/hosts',
      // The image's PHP is built with prefix /usr/local; this one resolves `include=etc/…` against /usr.
      'mkdir -p /usr/etc && ln -s /usr/local/etc/php-fpm.d /usr/etc/php-fpm.d',
    ],
  },
}

/** Applets a BusyBox host has in place of coreutils, findutils, grep, sed, procps … */
const BUSYBOX_APPLETS = [
  'sh',
  'awk',
  'cat',
  'cut',
  'date',
  'dd',
  'env',
  'find',
  'grep',
  'head',
  'id',
  'ionice',
  'ls',
  'nproc',
  'od',
  'ps',
  'readlink',
  'realpath',
  'renice',
  'sed',
  'sha256sum',
  'sort',
  'stat',
  'tail',
  'timeout',
  'tr',
  'uname',
  'wc',
]
/** What a BusyBox (Alpine) host does not have at all. */
const NOT_ON_BUSYBOX_HOSTS = ['ss', 'getfacl', 'service', 'systemctl']

const FAKE_SYSTEMCTL = `#!/bin/sh
# systemctl show on a host whose init system is not systemd: a unit's state from the pidfile
# its daemon writes (named in /run/fake-systemd/UNIT).
[ "$1" = show ] || { echo "systemctl: only show is available here" >&2; exit 1; }
shift
units=
while [ $# -gt 0 ]; do
  case $1 in
    -p) shift 2 ;;
    -*) shift ;;
    *) units="$units $1"; shift ;;
  esac
done
first=1
for unit in $units; do
  [ "$first" = 1 ] || echo
  first=0
  name=\${unit%.service}
  echo "Id=$unit"
  pid=
  if [ -r "/run/fake-systemd/$name" ]; then
    read -r pidfile < "/run/fake-systemd/$name"
    [ -r "$pidfile" ] && read -r pid < "$pidfile"
    if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then state=active sub=running; else state=inactive sub=dead pid=0; fi
    printf 'LoadState=loaded\\nActiveState=%s\\nSubState=%s\\nMainPID=%s\\n' "$state" "$sub" "$pid"
    printf 'ExecMainStatus=0\\nExecMainCode=0\\nNRestarts=0\\nUnitFileState=enabled\\n'
    printf 'FragmentPath=/usr/lib/systemd/system/%s\\n' "$unit"
    printf 'ExecStart={ path=/usr/sbin/%s ; argv[]=/usr/sbin/%s --nodaemonize ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }\\n' "$name" "$name"
  else
    printf 'LoadState=not-found\\nActiveState=inactive\\nSubState=dead\\nMainPID=0\\nExecMainStatus=0\\nExecMainCode=0\\nNRestarts=0\\n'
  fi
done
`

const FAKE_RC_SERVICE = `#!/bin/sh
# rc-service NAME status on a host whose OpenRC state lives in /run/openrc.
[ "$2" = status ] || { echo "rc-service: only status is available here" >&2; exit 1; }
if [ -e "/run/openrc/started/$1" ]; then
  pid=
  [ -r "/run/fake-openrc/$1" ] && read -r pidfile < "/run/fake-openrc/$1" && [ -r "$pidfile" ] && read -r pid < "$pidfile"
  if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then echo ' * status: started'; exit 0; fi
  echo ' * status: crashed'
  exit 32
fi
echo ' * status: stopped'
exit 3
`

function padded(from: string, to: string): Buffer {
  if (to.length > from.length) throw new LabError(`cannot patch ${from} to the longer ${to}`)
  return Buffer.concat([Buffer.from(to), Buffer.alloc(from.length - to.length)])
}

/** This machine's php-fpm with compiled-in C strings replaced (each followed by its NUL). */
async function patchedFpm(patches: Array<[string, string]>): Promise<Buffer> {
  let binary = await readFile(DEBIAN_FPM)
  for (const [from, to] of patches) {
    const needle = Buffer.from(`${from}\0`)
    const replacement = Buffer.concat([padded(from, to), Buffer.from('\0')])
    let at = binary.indexOf(needle)
    if (at < 0) throw new LabError(`${DEBIAN_FPM} has no string ${from}`)
    while (at >= 0) {
      binary = Buffer.concat([binary.subarray(0, at), replacement, binary.subarray(at + needle.length)])
      at = binary.indexOf(needle, at + needle.length)
    }
  }
  return binary
}

function setupScript(name: string, spec: LayoutSpec, options: LayoutHostOptions, payload: string, rw: string): string {
  const q = shellQuote
  const running = options.running ?? true
  const lines = [
    'set -eux',
    'mount --make-rprivate /',
    `mkdir -p ${q(rw)}`,
    `mount -t tmpfs -o mode=0700 layout-rw ${q(rw)}`,
    'for dir in etc var usr; do',
    `  mkdir "${rw}/$dir-upper" "${rw}/$dir-work"`,
    `  mount -t overlay overlay -o "lowerdir=/$dir,upperdir=${rw}/$dir-upper,workdir=${rw}/$dir-work" "/$dir"`,
    'done',
    'mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run',
    'mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp',
    'mount -t proc proc /proc',
    'ip link set lo up',
    `hostname ${q(name)}`,
    'install -d -m 1777 /run/lock',
    ...spec.remove.map((target) => `rm -rf ${q(target)}`),
    `cp -a ${q(payload)}/. /`,
    ...spec.users.map((entry) => {
      const [user = '', id = ''] = entry.split(':')
      return `grep -q '^${user}:' /etc/passwd || echo '${user}:x:${id}:${id}:${user}:/nonexistent:/usr/sbin/nologin' >> /etc/passwd`
    }),
    ...spec.groups.map((entry) => {
      const [group = '', id = ''] = entry.split(':')
      return `grep -q '^${group}:' /etc/group || echo '${group}:x:${id}:' >> /etc/group`
    }),
    ...[...spec.dirs, '/var/log/nginx', '/var/lib/nginx/body'].map((dir) => `mkdir -p ${q(dir)}`),
    'rm -f /var/log/nginx/*.log /var/log/php*.log',
    ...(spec.prepare ?? []),
    ...(options.missingTools ?? []).flatMap((tool) => [`rm -f /usr/bin/${tool} /usr/sbin/${tool}`]),
  ]
  if (spec.init === 'systemd') {
    lines.push('mkdir -p /run/systemd/system /run/fake-systemd')
    for (const fpm of spec.fpm) lines.push(`echo ${q(fpm.pidFile)} > /run/fake-systemd/${fpm.service}`)
    lines.push(`echo ${q(spec.nginxPidFile)} > /run/fake-systemd/nginx`)
  } else {
    lines.push('rm -f /usr/bin/systemctl')
  }
  if (spec.init === 'openrc') {
    lines.push('mkdir -p /run/openrc/started /run/fake-openrc')
    for (const fpm of spec.fpm) lines.push(`echo ${q(fpm.pidFile)} > /run/fake-openrc/${fpm.service}`)
    lines.push(`echo ${q(spec.nginxPidFile)} > /run/fake-openrc/nginx`)
  }
  if (running) {
    for (const fpm of spec.fpm) {
      if (fpm.pidFile === '') {
        // A foreground master (Docker's daemonize = no): started in the background, ready once it listens.
        lines.push(`setsid ${fpm.start} </dev/null >/dev/null 2>&1 &`)
        lines.push('i=0; until ss -ltn | grep -q ":9000 " || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done')
      } else {
        lines.push(fpm.start)
      }
      if (spec.init === 'openrc') lines.push(`ln -s /etc/init.d/${fpm.service} /run/openrc/started/${fpm.service}`)
    }
    lines.push(spec.init === 'sysv' ? 'service nginx start' : 'nginx')
    if (spec.init === 'openrc') lines.push('ln -s /etc/init.d/nginx /run/openrc/started/nginx')
  }
  if (spec.busybox === true) {
    for (const tool of NOT_ON_BUSYBOX_HOSTS) lines.push(`rm -f /usr/bin/${tool} /usr/sbin/${tool}`)
    for (const applet of BUSYBOX_APPLETS) lines.push(`rm -f /usr/bin/${applet} /usr/sbin/${applet}`)
    lines.push(
      `for applet in ${BUSYBOX_APPLETS.join(' ')}; do /usr/bin/busybox ln -s /usr/bin/busybox "/usr/bin/$applet"; done`,
    )
  }
  return `${lines.join('\n')}\n`
}

async function writePayload(payload: string, spec: LayoutSpec): Promise<void> {
  await mkdir(payload, {recursive: true})
  const fixture = spec.fixture
  for (const tree of fixture === undefined ? [] : ['etc', 'usr']) {
    await cp(path.join(FIXTURES, fixture!, tree), path.join(payload, tree), {
      recursive: true,
      verbatimSymlinks: true,
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
  }
  const put = async (file: string, content: string | Buffer, mode = 0o644): Promise<void> => {
    const target = path.join(payload, file)
    await mkdir(path.dirname(target), {recursive: true})
    await writeFile(target, content, {mode})
  }
  for (const [file, content] of Object.entries(spec.files)) await put(file, content)
  for (const fpm of spec.fpm) {
    if (fpm.binary !== DEBIAN_FPM) await put(fpm.binary, await patchedFpm(fpm.patches), 0o755)
  }
  if (spec.init === 'systemd') await put('/usr/bin/systemctl', FAKE_SYSTEMCTL, 0o755)
  if (spec.init === 'openrc') await put('/usr/sbin/rc-service', FAKE_RC_SERVICE, 0o755)
}

function transportFor(hostPid: number, env: Record<string, string>): Transport {
  return {
    kind: 'ssh',
    async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
      const started = performance.now()
      const result = await execInNamespace(hostPid, command, {
        stdin: options.stdin === undefined ? undefined : String(options.stdin),
        timeoutMs: options.timeoutMs,
        env,
        privateNetwork: true,
      })
      return {...result, signal: null, durationMs: performance.now() - started}
    },
    async close(): Promise<void> {},
  }
}

/** Build and boot a host laid out like the fixture distro; stop() removes every trace of it. */
export async function startLayoutHost(options: LayoutHostOptions): Promise<LayoutHost> {
  const spec = LAYOUTS[options.layout]
  const base = defaultLabBase()
  await mkdir(base, {recursive: true})
  const root = await mkdtemp(path.join(base, `layout-${options.layout}-`))
  const name = options.layout
  const layout = hostLayout(root, name)
  await mkdir(layout.dir, {recursive: true})
  await writePayload(layout.payloadDir, spec)
  await writeFile(layout.initScript, renderInitScript(layout), {mode: 0o755})
  await writeFile(layout.setupScript, setupScript(name, spec, options, layout.payloadDir, layout.writableDir))
  const namespace = await spawnNamespace(layout, {detached: false, privateNetwork: true})
  const stop = async (): Promise<void> => {
    await killNamespace(namespace)
    await rm(root, {recursive: true, force: true})
  }
  try {
    const status = await waitFor(() => readFile(layout.setupStatus, 'utf8').catch(() => undefined), {
      timeoutMs: 60_000,
      what: `setup of layout host ${name}`,
    })
    if (status.trim() !== '0') {
      const log = await readFile(layout.setupLog, 'utf8').catch(() => '')
      throw new LabError(`setup of layout host ${name} failed (exit ${status.trim()})`, {host: name, log})
    }
  } catch (error) {
    await stop()
    throw error
  }
  const transport = transportFor(namespace.hostPid, spec.gatherEnv ?? {})
  return {
    name,
    transport,
    exec: (script) => transport.exec(script),
    stop,
  }
}
