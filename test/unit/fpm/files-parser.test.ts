import {describe, expect, it} from 'vitest'

import {isFpmfixError} from '../../../src/errors.js'
import {
  effectivePool,
  iniScalar,
  parseFpmFiles,
  parseFpmTt,
  parseIniBoolean,
  type FpmFile,
} from '../../../src/fpm/index.js'
import {fileContent, fixtureText, fixtureTree} from './fixture-tree.js'

const DEBIAN_MAIN = '/etc/php/8.2/fpm/php-fpm.conf'
const DEBIAN_WWW = '/etc/php/8.2/fpm/pool.d/www.conf'

/** 1-based line of the first line equal to `text`, found without the parser. */
function lineOf(files: FpmFile[], path: string, text: string): number {
  const index = fileContent(files, path).split('\n').indexOf(text)
  if (index < 0) throw new Error(`${text} not in ${path}`)
  return index + 1
}

/** A pool file from a *-checks directory of fpm-invalid, installed as the Debian www.conf. */
function checkTree(dir: string, name: string): FpmFile[] {
  const tree = fixtureTree('fpm-invalid', 'etc')
  const content = fileContent(tree, `/etc/php/8.2/fpm/${dir}/${name}.conf`)
  return tree.map((file) => (file.path === DEBIAN_WWW ? {path: DEBIAN_WWW, content} : file))
}

describe('parseFpmFiles', () => {
  it('follows the Debian include glob and keeps file, line and raw text of every directive', () => {
    const files = fixtureTree('debian-php82', 'etc')
    const source = parseFpmFiles(files, DEBIAN_MAIN)
    expect(source.files).toEqual([DEBIAN_MAIN, DEBIAN_WWW])
    expect(source.prefix).toBe('/usr')
    const includeLine = lineOf(files, DEBIAN_MAIN, 'include=/etc/php/8.2/fpm/pool.d/*.conf')
    expect(source.includes).toEqual([
      {
        file: DEBIAN_MAIN,
        line: includeLine,
        pattern: '/etc/php/8.2/fpm/pool.d/*.conf',
        resolved: '/etc/php/8.2/fpm/pool.d/*.conf',
        matched: [DEBIAN_WWW],
      },
    ])
    const listen = source.directives.find((item) => item.key === 'listen')!
    expect(listen).toMatchObject({
      file: DEBIAN_WWW,
      line: lineOf(files, DEBIAN_WWW, 'listen = /run/php/php8.2-fpm.sock'),
      rawLine: 'listen = /run/php/php8.2-fpm.sock',
      section: 'www',
      value: '/run/php/php8.2-fpm.sock',
    })
    const pid = source.directives.find((item) => item.key === 'pid')!
    expect(pid).toMatchObject({
      section: 'global',
      file: DEBIAN_MAIN,
      line: lineOf(files, DEBIAN_MAIN, 'pid = /run/php/php8.2-fpm.pid'),
    })
    expect(source.issues).toEqual([])
  })

  it('reads RHEL pools included before the [global] header', () => {
    const files = fixtureTree('rhel-remi', 'etc')
    const source = parseFpmFiles(files, '/etc/php-fpm.conf')
    expect(source.pools).toEqual(['www'])
    expect(source.files).toEqual(['/etc/php-fpm.conf', '/etc/php-fpm.d/www.conf'])
    const global = source.directives.filter((item) => item.section === 'global').map((item) => item.key)
    expect(global).toEqual(['pid', 'error_log', 'daemonize'])
    const acl = source.directives.find((item) => item.key === 'listen.acl_users')!
    expect(acl).toMatchObject({
      section: 'www',
      value: 'apache,nginx',
      line: lineOf(files, '/etc/php-fpm.d/www.conf', 'listen.acl_users = apache,nginx'),
    })
  })

  it('resolves the Docker relative include from the /usr/local prefix and lets zz-docker.conf win', () => {
    const files = fixtureTree('docker-php-fpm', 'usr')
    const source = parseFpmFiles(files, '/usr/local/etc/php-fpm.conf')
    expect(source.prefix).toBe('/usr/local')
    expect(source.includes[0]).toMatchObject({
      pattern: 'etc/php-fpm.d/*.conf',
      resolved: '/usr/local/etc/php-fpm.d/*.conf',
      matched: [
        '/usr/local/etc/php-fpm.d/docker.conf',
        '/usr/local/etc/php-fpm.d/www.conf',
        '/usr/local/etc/php-fpm.d/zz-docker.conf',
      ],
    })
    expect(source.sections.map((section) => [section.name, section.file])).toEqual([
      ['www', '/usr/local/etc/php-fpm.d/docker.conf'],
      ['www', '/usr/local/etc/php-fpm.d/www.conf'],
      ['www', '/usr/local/etc/php-fpm.d/zz-docker.conf'],
    ])
    const listens = source.directives.filter((item) => item.key === 'listen')
    expect(listens.map((item) => [item.file, item.value])).toEqual([
      ['/usr/local/etc/php-fpm.d/www.conf', '127.0.0.1:9000'],
      ['/usr/local/etc/php-fpm.d/zz-docker.conf', '9000'],
    ])
    const tt = parseFpmTt(fixtureText('docker-php-fpm', 'php-fpm-tt.txt'))
    expect(tt.pools[0]!.values['listen']).toBe(listens.at(-1)!.value)
    const daemonize = source.directives.find((item) => item.key === 'daemonize')!
    expect(daemonize).toMatchObject({section: 'global', file: '/usr/local/etc/php-fpm.d/zz-docker.conf'})
  })

  it('warns exactly like php-fpm when an include matches nothing', () => {
    const files = fixtureTree('docker-php-fpm', 'usr')
    const source = parseFpmFiles(files, '/usr/local/etc/php-fpm.conf', {prefix: '/opt/php'})
    const line = lineOf(files, '/usr/local/etc/php-fpm.conf', 'include=etc/php-fpm.d/*.conf')
    expect(source.issues).toEqual([
      {
        file: '/usr/local/etc/php-fpm.conf',
        line,
        severity: 'warning',
        message: `Nothing matches the include pattern '/opt/php/etc/php-fpm.d/*.conf' from /usr/local/etc/php-fpm.conf at line ${line}.`,
      },
      {
        file: '/usr/local/etc/php-fpm.conf',
        line: 0,
        severity: 'error',
        message: 'No pool defined. at least one pool section must be specified in config file',
      },
    ])
    const real = parseFpmTt(fixtureText('fpm-invalid', 'php-fpm-tt-syntax-no-pool-files.txt'))
    const debian = parseFpmFiles(withoutPools(fixtureTree('debian-php82', 'etc')), DEBIAN_MAIN)
    expect(
      debian.issues.map((issue) => `${issue.severity === 'warning' ? 'WARNING' : 'ERROR'}: ${issue.message}`),
    ).toEqual([real.warnings[0], real.errors[0]])
  })

  it('includes in glob order and skips dot files and other suffixes', () => {
    const files: FpmFile[] = [
      ...fixtureTree('debian-php82', 'etc'),
      {path: '/etc/php/8.2/fpm/pool.d/.www.conf.swp', content: '[swap]\n'},
      {path: '/etc/php/8.2/fpm/pool.d/www.conf.dpkg-old', content: '[old]\n'},
      {path: '/etc/php/8.2/fpm/pool.d/app.conf', content: '[app]\nlisten = /run/php/app.sock\n'},
    ]
    const source = parseFpmFiles(files, DEBIAN_MAIN)
    expect(source.pools).toEqual(['app', 'www'])
    expect(source.includes[0]!.matched).toEqual(['/etc/php/8.2/fpm/pool.d/app.conf', DEBIAN_WWW])
  })

  it('carries the open section across include boundaries and reopens pools case-insensitively, as php-fpm -tt shows', () => {
    const main = '/etc/php/8.2/fpm/carry-checks/php-fpm.conf'
    const source = parseFpmFiles(fixtureTree('fpm-invalid', 'etc'), main)
    const tt = parseFpmTt(fixtureText('fpm-invalid', 'php-fpm-tt-carry.txt'))
    expect(source.pools).toEqual(tt.pools.map((pool) => pool.name))
    for (const pool of source.pools) {
      const fromFiles = effectivePool(source, undefined, pool)
      expect(String(fromFiles.maxChildren.value), pool).toBe(
        tt.pools.find((item) => item.name === pool)!.values['pm.max_children'],
      )
    }
    const trailing = source.directives.at(-1)!
    expect(trailing).toMatchObject({file: main, section: 'a', key: 'pm.max_children', value: '7'})
  })

  it('decodes every value the way the INI scanner does ($pool, quotes, comments, concatenation, booleans)', () => {
    const source = parseFpmFiles(checkTree('syntax-checks', 'quoting'), DEBIAN_MAIN)
    const tt = parseFpmTt(fixtureText('fpm-invalid', 'php-fpm-tt-syntax-quoting.txt'))
    expect(tt.ok).toBe(true)
    const dumped = tt.pools[0]!
    const arrays = source.directives.filter((item) => item.arrayName !== undefined)
    expect(arrays.length).toBeGreaterThan(20)
    for (const item of arrays) {
      const list =
        item.arrayName === 'env'
          ? dumped.env
          : item.arrayName!.startsWith('php_admin')
            ? dumped.phpAdminValues
            : dumped.phpValues
      const real = list.find((entry) => entry.key === item.arrayKey)!.value
      if (item.value.includes('${')) expect(real, item.rawLine).not.toBe('')
      else expect(iniScalar(item), item.rawLine).toBe(real)
    }
    for (const key of ['listen', 'access.log', 'access.format', 'pm.max_children']) {
      const last = source.directives.filter((item) => item.key === key).at(-1)!
      expect(last.value, key).toBe(dumped.values[key])
    }
    expect(source.directives.find((item) => item.arrayKey === 'pool_bare')!.rawValue).toBe('/var/lib/php/$pool')
  })

  it.each([
    'hash-comment',
    'hash-directive',
    'bad-number',
    'bad-boolean',
    'bad-boolean-case',
    'bad-time',
    'unknown-entry',
    'unquoted-equals',
    'unterminated-quote',
  ])('reports %s with the message php-fpm prints', (name) => {
    const source = parseFpmFiles(checkTree('syntax-checks', name), DEBIAN_MAIN)
    const real = parseFpmTt(fixtureText('fpm-invalid', `php-fpm-tt-syntax-${name}.txt`))
    expect(real.ok).toBe(false)
    expect(source.issues.map((issue) => issue.message)).toEqual([real.errors[0]!.replace(/^ERROR: /, '')])
    expect(source.issues[0]).toMatchObject({file: DEBIAN_WWW, severity: 'error'})
  })

  it('accepts the boolean words php-fpm 8.2 accepts, quoted or not', () => {
    const source = parseFpmFiles(checkTree('syntax-checks', 'quoted-booleans'), DEBIAN_MAIN)
    const tt = parseFpmTt(fixtureText('fpm-invalid', 'php-fpm-tt-syntax-quoted-booleans.txt'))
    expect(tt.ok).toBe(true)
    expect(source.issues).toEqual([])
    const fromFiles = effectivePool(source, undefined, 'www')
    const fromTt = effectivePool(source, tt, 'www')
    for (const key of [
      'catch_workers_output',
      'decorate_workers_output',
      'clear_env',
      'process.dumpable',
      'request_terminate_timeout_track_finished',
    ]) {
      expect(parseIniBoolean(fromFiles.settings[key]!.value ?? ''), key).toBe(
        parseIniBoolean(fromTt.settings[key]!.value ?? ''),
      )
    }
    expect(fromFiles.phpAdminValues.map((entry) => entry.value)).toEqual(
      fromTt.phpAdminValues.map((entry) => entry.value),
    )
    expect(fromFiles.phpValues.map((entry) => entry.value)).toEqual(fromTt.phpValues.map((entry) => entry.value))
  })

  it('reports array directives in [global] and $pool outside a pool', () => {
    const files: FpmFile[] = [
      {
        path: '/etc/php-fpm.conf',
        content: '[global]\nerror_log = /var/log/$pool.log\nenv[PATH] = /usr/bin\n[www]\nlisten = 9000\n',
      },
    ]
    const source = parseFpmFiles(files, '/etc/php-fpm.conf')
    expect(source.issues.map((issue) => issue.message)).toEqual([
      "[/etc/php-fpm.conf:2] unable to parse value for entry 'error_log': Can't use '$pool' when the pool is not defined",
      '[/etc/php-fpm.conf:3] Array are not allowed in the global section',
    ])
  })

  it('stops at five nested includes like php-fpm', () => {
    const files: FpmFile[] = [{path: '/etc/php-fpm.conf', content: '[www]\nlisten = 9000\ninclude=/etc/php-fpm.conf\n'}]
    const source = parseFpmFiles(files, '/etc/php-fpm.conf')
    expect(source.files).toHaveLength(5)
    expect(source.issues.map((issue) => issue.message)).toEqual(['failed to include more than 5 files recursively'])
  })

  it('refuses a main config that is not among the files with GATHER_PARSE', () => {
    let error: unknown
    try {
      parseFpmFiles(fixtureTree('debian-php82', 'etc'), '/etc/php/8.3/fpm/php-fpm.conf')
    } catch (caught) {
      error = caught
    }
    expect(isFpmfixError(error) && error.code).toBe('GATHER_PARSE')
    expect(isFpmfixError(error) && error.message).toContain('/etc/php/8.3/fpm/php-fpm.conf')
  })
})

function withoutPools(files: FpmFile[]): FpmFile[] {
  return files.filter((file) => !file.path.includes('/pool.d/'))
}
