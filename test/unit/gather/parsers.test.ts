import {describe, expect, it} from 'vitest'
import {parseConfigureArguments} from '../../../src/gather/assemble-nginx.js'
import {parseGroups, parsePasswd} from '../../../src/gather/parse-accounts.js'
import {detectInitSystem, detectSelinux, parseOsRelease} from '../../../src/gather/parse-host.js'
import {parseProcNetTcp, parseProcNetUnix, parseSsTcp, parseSsUnix} from '../../../src/gather/parse-listeners.js'
import {parsePsTable} from '../../../src/gather/parse-processes.js'
import {buildServiceState} from '../../../src/gather/parse-services.js'
import {parseMeta, parseStatLine} from '../../../src/gather/parse-stat.js'
import type {Section} from '../../../src/protocol/frames.js'

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
    const meta = section(
      'meta',
      'socket',
      '/var/run/php-fpm.sock',
      'exists=1\nlstat=symbolic link|22|777|root|0|root|0|9\nstat=\nlink=/run/php/php7.4-fpm.sock\nreal=/run/php/php7.4-fpm.sock\nreadable=0\n',
    )
    expect(parseMeta(meta)).toMatchObject({
      exists: false,
      isSymlink: true,
      linkTarget: '/run/php/php7.4-fpm.sock',
      error: 'dangling symlink',
    })
  })
})

describe('services', () => {
  const base = {name: 'php8.2-fpm', pidFiles: [], masterRunning: false}

  it('reads systemctl show for a failed unit', () => {
    const show = [
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
    ].join('\n')
    const state = buildServiceState({
      ...base,
      initSystem: 'systemd',
      statusSections: [section('cmd', 'svc-systemd', 'php8.2-fpm', show, 0)],
    })
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
  })

  it('knows a systemd unit that does not exist', () => {
    const show = 'Id=php-fpm.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nMainPID=0\n'
    const state = buildServiceState({
      ...base,
      initSystem: 'systemd',
      statusSections: [section('cmd', 'svc-systemd', 'php-fpm', show, 0)],
    })
    expect(state).toMatchObject({known: false, active: false})
  })

  it('reads OpenRC and SysV status exit codes', () => {
    const openrc = buildServiceState({
      ...base,
      initSystem: 'openrc',
      statusSections: [section('cmd', 'svc-openrc', 'php-fpm82', ' * status: crashed', 32)],
    })
    expect(openrc).toMatchObject({manager: 'openrc', active: undefined, state: 'crashed'})
    const sysv = buildServiceState({
      ...base,
      initSystem: 'sysv',
      statusSections: [section('cmd', 'svc-sysv', 'php8.2-fpm', 'php-fpm8.2 is running.', 0)],
    })
    expect(sysv).toMatchObject({manager: 'sysv', active: true, state: 'running', running: true})
  })

  it('counts a live pidfile or master as running when no manager knows the service (containers)', () => {
    const state = buildServiceState({
      ...base,
      initSystem: 'none',
      statusSections: [],
      pidFiles: [{path: '/run/php-fpm.pid', exists: true, pid: 1, alive: true}],
    })
    expect(state).toMatchObject({manager: 'none', running: true})
    expect(state.active).toBeUndefined()
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
    expect(detectSelinux(new Map([['selinux_getenforce', 'Enforcing']]))).toBe('enforcing')
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

  it('reads procps and BusyBox ps tables', () => {
    const busybox =
      'PID   PPID  USER     GROUP    RSS  COMMAND\n  812     1 root     root      14m php-fpm: master process (/etc/php82/php-fpm.conf)\n  813   812 nobody   nobody   1.5g php-fpm: pool www\n'
    expect(parsePsTable(busybox).map((row) => [row.pid, row.user, row.rssKb, row.args])).toEqual([
      [812, 'root', 14 * 1024, 'php-fpm: master process (/etc/php82/php-fpm.conf)'],
      [813, 'nobody', 1.5 * 1024 * 1024, 'php-fpm: pool www'],
    ])
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
