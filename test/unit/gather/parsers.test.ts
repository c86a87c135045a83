import {describe, expect, it} from 'vitest'
import {lastLines} from '../../../src/gather/assemble-paths.js'
import {parseConfigureArguments, splitBuildInfo} from '../../../src/gather/assemble-nginx.js'
import {readBatch} from '../../../src/gather/batch-results.js'
import {parseGroups, parsePasswd} from '../../../src/gather/parse-accounts.js'
import {
  cpusFrom,
  detectInitSystem,
  detectSelinux,
  parseHostClock,
  parseOsRelease,
} from '../../../src/gather/parse-host.js'
import {parseProcNetTcp, parseProcNetUnix, parseSsTcp, parseSsUnix} from '../../../src/gather/parse-listeners.js'
import {parseProcess, parsePsTable, procStatusLines} from '../../../src/gather/parse-processes.js'
import {buildServiceState, splitSystemctlShow, type ServiceEvidence} from '../../../src/gather/parse-services.js'
import {parseMeta, parseStatLine} from '../../../src/gather/parse-stat.js'
import type {Section} from '../../../src/protocol/frames.js'

const B = 'FPMFIX00112233445566778899aabbccddeeff'

function section(kind: string, tag: string, arg: string, content: string, status: number | null = null): Section {
  return {kind, tag, arg, content, status, flags: [], complete: true}
}

describe('listeners', () => {
  it('reads ss -lnpx: queue depths, paths with spaces, every owning process; skips datagram sockets', () => {
    const text = [
      'Netid State  Recv-Q Send-Q            Local Address:Port   Peer Address:PortProcess',
      'u_str LISTEN 0      1      /run/php/php8.2-fpm.sock 131189            * 0    users:(("php-fpm8.2",pid=26180,fd=6),("php-fpm8.2",pid=26179,fd=6),("php-fpm8.2",pid=26178,fd=8))',
      'u_str LISTEN 129    511    /run/php/my pool.sock 2201            * 0',
      'u_dgr UNCONN 0      0      /run/systemd/notify 1201            * 0    users:(("systemd",pid=1,fd=16))',
    ].join('\n')
    expect(parseSsUnix(text)).toEqual([
      {
        path: '/run/php/php8.2-fpm.sock',
        recvQ: 0,
        sendQ: 1,
        inode: 131189,
        processes: [
          {name: 'php-fpm8.2', pid: 26180, fd: 6},
          {name: 'php-fpm8.2', pid: 26179, fd: 6},
          {name: 'php-fpm8.2', pid: 26178, fd: 8},
        ],
      },
      {path: '/run/php/my pool.sock', recvQ: 129, sendQ: 511, inode: 2201, processes: []},
    ])
  })

  it('reads ss -ltnp for IPv4, IPv6, wildcard and interface-scoped addresses', () => {
    const text = [
      'State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess',
      'LISTEN 0      1            0.0.0.0:80        0.0.0.0:*    users:(("nginx",pid=26195,fd=5),("nginx",pid=26194,fd=5))',
      'LISTEN 0      1               [::]:80           [::]:*',
      'LISTEN 3      511                *:9000            *:*    users:(("php-fpm",pid=7,fd=9))',
      'LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*',
    ].join('\n')
    expect(
      parseSsTcp(text).map(({address, port, recvQ, processes}) => [address, port, recvQ, processes.length]),
    ).toEqual([
      ['0.0.0.0', 80, 0, 2],
      ['::', 80, 0, 0],
      ['*', 9000, 3, 1],
      ['127.0.0.53%lo', 53, 0, 0],
    ])
  })

  it('reads the unix and TCP listeners from one ss -lnpxt', () => {
    const text = [
      'Netid State  Recv-Q Send-Q            Local Address:Port    Peer Address:PortProcess',
      'u_str LISTEN 0      4096   /run/php/php8.2-fpm.sock 1725126            * 0    users:(("php-fpm8.2",pid=67,fd=6))',
      'tcp   LISTEN 0      511                   127.0.0.1:32539        0.0.0.0:*    users:(("nginx",pid=84,fd=5))',
      'tcp   LISTEN 0      4096                       [::]:9000           [::]:*',
    ].join('\n')
    expect(parseSsUnix(text).map((listener) => [listener.path, listener.sendQ, listener.processes.length])).toEqual([
      ['/run/php/php8.2-fpm.sock', 4096, 1],
    ])
    expect(parseSsTcp(text).map((listener) => [listener.address, listener.port, listener.processes.length])).toEqual([
      ['127.0.0.1', 32539, 1],
      ['::', 9000, 0],
    ])
  })

  it('falls back to /proc/net/unix and /proc/net/tcp{,6} when ss is missing', () => {
    expect(
      parseProcNetUnix('0000000000000000: 00000002 00000000 00010000 0001 01 131189 /run/php/php8.2-fpm.sock\n'),
    ).toEqual([{path: '/run/php/php8.2-fpm.sock', inode: 131189, processes: []}])
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:2328 00000000:0000 0A 00000000:00000005 00:00000000 00000000     0        0 135652 1 0 100 0 0 10 0',
      '   1: 0100007F:A2C4 0100007F:2328 01 00000000:00000000 00:00000000 00000000    33        0 0 1 0 20 4 30 10 -1',
    ].join('\n')
    expect(parseProcNetTcp(tcp)).toEqual([{address: '127.0.0.1', port: 9000, recvQ: 5, processes: []}])
    const tcp6 =
      '   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0\n'
    expect(parseProcNetTcp(tcp6)).toEqual([{address: '::', port: 80, recvQ: 0, processes: []}])
  })
})

describe('stat and meta sections', () => {
  it('reads stat -c lines: empty files, unknown owners, setgid modes', () => {
    expect(parseStatLine('regular empty file|0|644|root|0|root|0|12')).toMatchObject({
      type: 'file',
      size: 0,
      mode: '0644',
    })
    expect(parseStatLine('directory|4096|2775|UNKNOWN|1234|www-data|33|5')).toMatchObject({
      type: 'directory',
      mode: '2775',
      owner: undefined,
      uid: 1234,
      group: 'www-data',
    })
    expect(parseStatLine('socket|0|660|www-data|33|www-data|33|77')).toMatchObject({type: 'socket', mode: '0660'})
    expect(parseStatLine('garbage')).toBeUndefined()
  })

  it('reports a dangling symlink as not existing, with its link target', () => {
    const meta = section('meta', 'socket', '/var/run/php-fpm.sock', 'exists=1\nreadable=0\nresolve=1\n')
    const lstat = `${B}|symbolic link|22|777|root|0|root|0|9|${B}|/var/run/php-fpm.sock|${B}|/var/run/php-fpm.sock -> /run/php/php7.4-fpm.sock\n`
    const batch = readBatch(
      [meta, section('lstat', '-', '', lstat), section('real', '-', '', '/run/php/php7.4-fpm.sock\n')],
      B,
    )
    expect(parseMeta(meta, batch)).toMatchObject({
      exists: false,
      isSymlink: true,
      linkTarget: '/run/php/php7.4-fpm.sock',
      realPath: '/run/php/php7.4-fpm.sock',
      error: 'dangling symlink',
    })
  })
})

describe('the batch of path reads', () => {
  const metas = [
    section('meta', 'fpm-main:0', '/etc/a b.conf', 'exists=1\nreadable=1\nresolve=1\ncontent=1\n'),
    section('meta', 'nginx-conf', '/etc/nginx/sites-enabled/x', 'exists=1\nreadable=1\nresolve=1\n'),
    section('meta', 'socket', '/run/gone.sock', 'exists=0\n'),
    section('meta', 'socket', '/run/odd\\name.sock', 'exists=1\nreadable=1\nresolve=1\n'),
    section('meta', 'fpm-include:0', '/etc/empty.conf', 'exists=1\nreadable=1\nresolve=1\ncontent=1\n'),
    section('meta', 'fpm-include:1', '/etc/a b.conf', 'exists=1\nreadable=1\nresolve=1\ncontent=1\n'),
  ]
  const stat = [
    `${B}|regular file|11|644|root|0|root|0|1|${B}|/etc/a b.conf`,
    `${B}|regular file|5|644|root|0|root|0|2|${B}|/etc/nginx/sites-enabled/x`,
    `${B}|socket|0|660|www-data|33|www-data|33|3|${B}|/run/odd\\name.sock`,
    `${B}|regular empty file|0|644|root|0|root|0|4|${B}|/etc/empty.conf`,
  ].join('\n')
  const lstat = stat.replace(
    `${B}|/etc/nginx/sites-enabled/x`,
    `${B}|/etc/nginx/sites-enabled/x|${B}|'/etc/nginx/sites-enabled/x' -> '../sites-available/x'`,
  )
  const sections = [
    ...metas,
    section('lstat', '-', '', `${lstat.replace('regular file|5|', 'symbolic link|20|')}\n`),
    section('stat', '-', '', `${stat}\n`),
    section('stderr', 'stat', '', "stat: cannot statx '/run/gone.sock': No such file or directory"),
    section('real', '-', '', '/etc/a b.conf\n/etc/nginx/sites-available/x\n\n/etc/empty.conf\n'),
    section('sha256', '-', '', `${'a'.repeat(64)}  /etc/a b.conf\n\\${'b'.repeat(64)}  /run/odd\\\\name.sock\n`),
    section('acl', '-', '', '# file: /run/odd\\\\name.sock\n# owner: www-data\nuser::rw-\ngroup::rw-\n\n'),
    section('content', '-', '', `[www]\nx=1\nB=${B}\0B=${B}\0[www]\nx=1\n`),
  ]
  const batch = readBatch(sections, B)

  it("takes each tool's answer for its path: names with spaces and backslashes, symlinks, errors", () => {
    expect(batch.stat.get('/etc/a b.conf')).toBe('regular file|11|644|root|0|root|0|1')
    expect(batch.lstat.get('/etc/nginx/sites-enabled/x')).toMatchObject({link: '../sites-available/x'})
    expect(batch.statError.get('/run/gone.sock')).toMatch(/No such file/)
    expect(batch.real.get('/etc/nginx/sites-enabled/x')).toBe('/etc/nginx/sites-available/x')
    expect(batch.real.has('/run/odd\\name.sock')).toBe(false)
    expect(batch.sha256.get('/run/odd\\name.sock')).toBe('b'.repeat(64))
    expect(batch.acl.get('/run/odd\\name.sock')).toEqual(['user::rw-', 'group::rw-'])
  })

  it('splits the contents at the separator head read between the files, an empty file included', () => {
    expect(metas.filter((meta) => batch.content.has(meta)).map((meta) => batch.content.get(meta)?.text)).toEqual([
      '[www]\nx=1\n',
      '',
      '[www]\nx=1\n',
    ])
  })
})

describe('services', () => {
  function evidence(overrides: Partial<ServiceEvidence>): ServiceEvidence {
    return {
      name: 'php8.2-fpm',
      initSystem: 'sysv',
      env: new Map(),
      svc: new Map(),
      systemd: undefined,
      pidFiles: [],
      masterRunning: false,
      ...overrides,
    }
  }
  const systemdHost = new Map([
    ['systemd_running', '1'],
    ['have_systemctl', '1'],
  ])

  it('reads systemctl show of several units, one block each', () => {
    const show = [
      'Id=nginx.service',
      'LoadState=loaded',
      'ActiveState=active',
      'MainPID=812',
      '',
      'Id=php8.2-fpm.service',
      'MainPID=0',
      'ExecMainCode=1',
      'ExecMainStatus=78',
      'NRestarts=0',
      'ExecStart={ path=/usr/sbin/php-fpm8.2 ; argv[]=/usr/sbin/php-fpm8.2 --nodaemonize --fpm-config /etc/php/8.2/fpm/php-fpm.conf ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }',
      'LoadState=loaded',
      'ActiveState=failed',
      'SubState=failed',
      'FragmentPath=/lib/systemd/system/php8.2-fpm.service',
      'UnitFileState=enabled',
      '',
      'Id=php-fpm.service',
      'LoadState=not-found',
      'ActiveState=inactive',
    ].join('\n')
    const units = splitSystemctlShow(show, ['nginx', 'php8.2-fpm', 'php-fpm'])
    const state = buildServiceState(
      evidence({initSystem: 'systemd', env: systemdHost, systemd: units.get('php8.2-fpm')}),
    )
    expect(state).toMatchObject({
      manager: 'systemd',
      known: true,
      active: false,
      state: 'failed',
      execMainStatus: 78,
      mainPid: undefined,
      running: false,
    })
    expect(state.execStart).toMatch(/--fpm-config \/etc\/php\/8\.2\/fpm\/php-fpm\.conf/)
    expect(buildServiceState(evidence({env: systemdHost, systemd: units.get('nginx')}))).toMatchObject({
      active: true,
      mainPid: 812,
    })
    expect(buildServiceState(evidence({env: systemdHost, systemd: units.get('php-fpm')}))).toMatchObject({
      known: false,
      active: false,
    })
  })

  it("takes OpenRC's state directory, and calls a started service without its daemon crashed", () => {
    const openrcHost = new Map([
      ['openrc_running', '1'],
      ['have_rc-service', '1'],
    ])
    const svc = new Map([
      ['initd', '1'],
      ['initd_file', '1'],
      ['openrc', 'started'],
    ])
    const running = buildServiceState(evidence({env: openrcHost, svc, masterRunning: true}))
    expect(running).toMatchObject({manager: 'openrc', known: true, active: true, state: 'started', running: true})
    const crashed = buildServiceState(evidence({env: openrcHost, svc}))
    expect(crashed).toMatchObject({manager: 'openrc', active: undefined, state: 'crashed', running: false})
    const stopped = buildServiceState(
      evidence({
        env: openrcHost,
        svc: new Map([
          ['initd', '1'],
          ['initd_file', '1'],
        ]),
      }),
    )
    expect(stopped).toMatchObject({active: false, state: 'stopped'})
  })

  it('answers for a SysV init script from its pidfile and the processes, as its status command would', () => {
    const svc = new Map([['initd', '1']])
    const pidFiles = [{path: '/run/php/php8.2-fpm.pid', exists: true, pid: 812, alive: true}]
    expect(buildServiceState(evidence({svc, pidFiles}))).toMatchObject({
      manager: 'sysv',
      known: true,
      active: true,
      state: 'running',
      running: true,
    })
    const stale = [{path: '/run/php/php8.2-fpm.pid', exists: true, pid: 812, alive: false}]
    expect(buildServiceState(evidence({svc, pidFiles: stale}))).toMatchObject({active: false, state: 'stopped'})
    expect(buildServiceState(evidence({}))).toMatchObject({manager: 'sysv', known: false, running: false})
  })

  it('counts a live pidfile or master as running when no manager knows the service (containers)', () => {
    const state = buildServiceState(
      evidence({initSystem: 'none', pidFiles: [{path: '/run/php-fpm.pid', exists: true, pid: 1, alive: true}]}),
    )
    expect(state).toMatchObject({manager: 'none', running: true})
    expect(state.active).toBeUndefined()
    expect(state.known).toBeUndefined()
  })
})

describe('processes', () => {
  const proc = section(
    'proc',
    '812',
    '',
    ['comm=php-fpm8.2', 'ns=other', 'cmdline=php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)'].join('\n'),
  )
  // grep -H over every process's status and smaps_rollup, as the gather runs it.
  const status = procStatusLines(
    [
      '/proc/812/status:PPid:\t1',
      '/proc/812/status:Uid:\t0\t0\t0\t0',
      '/proc/812/status:Gid:\t0\t0\t0\t0',
      '/proc/812/status:Groups:\t',
      '/proc/812/status:VmRSS:\t   21404 kB',
      '/proc/812/smaps_rollup:Pss:                7021 kB',
      '/proc/8120/status:VmRSS:\t   1 kB',
    ].join('\n'),
  )

  it('reads a process from /proc, with its binary (even one replaced since), namespace and age', () => {
    const info = parseProcess(proc, {
      users: [{name: 'root', uid: 0, gid: 0, gecos: '', home: '/root', shell: '/bin/sh'}],
      groups: [],
      exe: (pid) => (pid === 812 ? '/usr/sbin/php-fpm8.2 (deleted)' : undefined),
      elapsedSeconds: (pid) => (pid === 812 ? 500 : undefined),
      status: (pid) => status.get(pid),
    })
    expect(info).toMatchObject({
      pid: 812,
      kind: 'fpm-master',
      fpmConfigPath: '/etc/php/8.2/fpm/php-fpm.conf',
      exe: '/usr/sbin/php-fpm8.2',
      user: 'root',
      rssKb: 21404,
      pssKb: 7021,
      elapsedSeconds: 500,
      otherNamespace: true,
    })
  })
})

describe('host facts', () => {
  it('reads os-release quoting styles', () => {
    const alpine = parseOsRelease(
      'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n',
    )
    expect(Object.fromEntries(alpine)).toMatchObject({
      ID: 'alpine',
      VERSION_ID: '3.19.1',
      PRETTY_NAME: 'Alpine Linux v3.19',
    })
    expect(parseOsRelease(`ID_LIKE='rhel centos fedora'\nNAME="Say \\"hi\\""`).get('NAME')).toBe('Say "hi"')
  })

  it('picks the init system and SELinux mode from what the script saw', () => {
    expect(
      detectInitSystem(
        new Map([
          ['systemd_running', '1'],
          ['initd', '1'],
        ]),
      ),
    ).toBe('systemd')
    expect(
      detectInitSystem(
        new Map([
          ['initd', '1'],
          ['have_rc-service', '1'],
        ]),
      ),
    ).toBe('openrc')
    expect(
      detectInitSystem(
        new Map([
          ['initd', '1'],
          ['have_service', '1'],
        ]),
      ),
    ).toBe('sysv')
    expect(detectInitSystem(new Map())).toBe('none')
    expect(detectSelinux(new Map([['selinux_enforce', '1']]))).toBe('enforcing')
    expect(detectSelinux(new Map([['have_getenforce', '1']]))).toBe('disabled')
    expect(
      detectSelinux(
        new Map([
          ['selinux_enforce', '0'],
          ['selinux_fs', '1'],
        ]),
      ),
    ).toBe('permissive')
    expect(detectSelinux(new Map([['selinux_fs', '1']]))).toBe('disabled')
    expect(detectSelinux(new Map())).toBe('absent')
  })

  it('reads passwd and group dumps, skipping NIS markers and junk', () => {
    expect(
      parsePasswd(
        'root:x:0:0:root:/root:/bin/bash\n+::::::\nnginx:x:101:101:nginx user:/var/cache/nginx:/sbin/nologin\n',
      ),
    ).toEqual([
      {name: 'root', uid: 0, gid: 0, gecos: 'root', home: '/root', shell: '/bin/bash'},
      {name: 'nginx', uid: 101, gid: 101, gecos: 'nginx user', home: '/var/cache/nginx', shell: '/sbin/nologin'},
    ])
    expect(parseGroups('www-data:x:33:\napache:x:48:nginx,deploy\n+:::\n')).toEqual([
      {name: 'www-data', gid: 33, members: []},
      {name: 'apache', gid: 48, members: ['nginx', 'deploy']},
    ])
  })

  it('reads the process ages procps prints', () => {
    const procps =
      '    PID    PPID USER     GROUP      RSS ELAPSED COMMAND\n    812       1 root     root     21404  259200 php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)\n'
    const elapsed = new Map<number, number>()
    expect(parsePsTable(procps, elapsed).map((row) => [row.pid, row.rssKb, row.args])).toEqual([
      [812, 21404, 'php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)'],
    ])
    expect(elapsed.get(812)).toBe(259200)
  })

  it('reads procps and BusyBox ps tables', () => {
    const busybox =
      'PID   PPID  USER     GROUP    RSS  COMMAND\n  812     1 root     root      14m php-fpm: master process (/etc/php82/php-fpm.conf)\n  813   812 nobody   nobody   1.5g php-fpm: pool www\n'
    expect(parsePsTable(busybox).map((row) => [row.pid, row.user, row.rssKb, row.args])).toEqual([
      [812, 'root', 14 * 1024, 'php-fpm: master process (/etc/php82/php-fpm.conf)'],
      [813, 'nobody', 1.5 * 1024 * 1024, 'php-fpm: pool www'],
    ])
  })

  it('reads the host clock, and the CPUs this process may use', () => {
    expect(parseHostClock('2026-11-23 22:45:00 +0100')).toEqual({
      utc: '2026-11-23T21:45:00Z',
      local: '2026-11-23 22:45:00',
      offset: '+0100',
    })
    expect(parseHostClock('2026-01-01 00:30:00 -0130')?.utc).toBe('2026-01-01T02:00:00Z')
    expect(parseHostClock('garbage')).toBeUndefined()
    expect(cpusFrom('0-3,8,10-11')).toBe(7)
    expect(cpusFrom(undefined)).toBeUndefined()
  })

  it('keeps the last lines of a log tail as tail -n counts them', () => {
    expect(lastLines('a\nb\nc\n', 2)).toBe('b\nc\n')
    expect(lastLines('a\nb\nc', 2)).toBe('b\nc')
    expect(lastLines('partial first\nb\n', 5)).toBe('partial first\nb\n')
    expect(lastLines('', 500)).toBe('')
  })

  it('tells the build info of nginx -V from the verdict of -T in their stderr', () => {
    const stderr = [
      'nginx version: nginx/1.22.1',
      'built with OpenSSL 3.0.11',
      'configure arguments: --prefix=/usr/share/nginx --error-log-path=stderr',
      'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok',
      'nginx: configuration file /etc/nginx/nginx.conf test is successful',
      '',
    ].join('\n')
    expect(splitBuildInfo(stderr)).toEqual({
      buildInfo:
        'nginx version: nginx/1.22.1\nbuilt with OpenSSL 3.0.11\nconfigure arguments: --prefix=/usr/share/nginx --error-log-path=stderr\n',
      testOutput:
        'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n',
    })
    expect(splitBuildInfo('nginx: [emerg] unknown option\n')).toEqual({
      buildInfo: '',
      testOutput: 'nginx: [emerg] unknown option\n',
    })
  })

  it('reads nginx configure arguments with quoted values', () => {
    const info =
      "nginx version: nginx/1.24.0\nconfigure arguments: --prefix=/etc/nginx --with-cc-opt='-O2 -g -pipe' --with-http_v2_module --user=nginx\n"
    expect(parseConfigureArguments(info)).toEqual({
      prefix: '/etc/nginx',
      'with-cc-opt': '-O2 -g -pipe',
      'with-http_v2_module': true,
      user: 'nginx',
    })
  })
})
