import {describe, expect, it} from 'vitest'

import {isFpmfixError} from '../../../src/errors.js'
import {parseDuration, parseFpmFiles, parseFpmTt, parseIniBoolean, atoi} from '../../../src/fpm/index.js'
import {POOL_OPTIONS} from '../../../src/fpm/options.js'
import {fixtureText, fixtureTree} from './fixture-tree.js'

describe('parseFpmTt on real php-fpm 8.2 output', () => {
  it('reads the global section and the pool of a stock Debian install', () => {
    const tt = parseFpmTt(fixtureText('debian-php82', 'php-fpm-tt.txt'))
    expect(tt.ok).toBe(true)
    expect(tt.errors).toEqual([])
    expect(tt.configFile).toBe('/etc/php/8.2/fpm/php-fpm.conf')
    expect(tt.global['pid']).toBe('/run/php/php8.2-fpm.pid')
    expect(tt.global['process.priority']).toBeNull()
    expect(tt.pools.map((pool) => pool.name)).toEqual(['www'])
    const www = tt.pools[0]!
    expect(www.values['listen']).toBe('/run/php/php8.2-fpm.sock')
    expect(www.values['listen.mode']).toBeNull()
    expect(www.values['pm.process_idle_timeout']).toBe('10')
    expect(www.values['security.limit_extensions']).toBe('.php .phar')
  })

  it('keeps pools in php-fpm order and array entries in definition order', () => {
    const tt = parseFpmTt(fixtureText('debian-multi-php', 'php-fpm-tt-8.2.txt'))
    const source = parseFpmFiles(fixtureTree('debian-multi-php', 'etc'), '/etc/php/8.2/fpm/php-fpm.conf')
    expect(tt.pools.map((pool) => pool.name)).toEqual(source.pools)
    const shop = tt.pools.find((pool) => pool.name === 'shop')!
    const definedAdmin = source.directives.filter(
      (item) => item.section === 'shop' && item.arrayName?.startsWith('php_admin'),
    )
    expect(shop.phpAdminValues.map((entry) => entry.key)).toEqual(definedAdmin.map((item) => item.arrayKey))
    expect(shop.env).toEqual([{key: 'APP_ENV', value: 'production'}])
    expect(shop.values['access.format']).toBe('%R - %u %t "%m %r" %s ; %{mili}d ms')
  })

  it.each([
    ['debian-php82', '/etc/php/8.2/fpm/php-fpm.conf', 'php-fpm-tt.txt'],
    ['debian-multi-php', '/etc/php/8.2/fpm/php-fpm.conf', 'php-fpm-tt-8.2.txt'],
    ['debian-multi-php', '/etc/php/8.1/fpm/php-fpm.conf', 'php-fpm-tt-8.1.txt'],
    ['rhel-remi', '/etc/php-fpm.conf', 'php-fpm-tt.txt'],
    ['docker-php-fpm', '/usr/local/etc/php-fpm.conf', 'php-fpm-tt.txt'],
  ])('agrees with every pool directive the %s files set (%s)', (layout, main, capture) => {
    const tt = parseFpmTt(fixtureText(layout, capture))
    const source = parseFpmFiles(fixtureTree(layout, main.startsWith('/usr') ? 'usr' : 'etc'), main)
    const last = new Map<string, {section: string; key: string; value: string}>()
    for (const item of source.directives)
      if (item.section !== 'global' && !item.arrayName) last.set(`${item.section}/${item.key}`, item)
    expect(last.size).toBeGreaterThan(5)
    for (const item of last.values()) {
      const dumped = tt.pools.find((pool) => pool.name === item.section)!.values[item.key]
      expect(normalize(item.key, dumped ?? ''), `${item.section} ${item.key}`).toEqual(normalize(item.key, item.value))
    }
  })

  it('returns the errors of a failed test verbatim, without timestamps, and no dump', () => {
    const tt = parseFpmTt(fixtureText('fpm-invalid', 'php-fpm-tt.txt'))
    expect(tt.ok).toBe(false)
    expect(tt.errors).toEqual([
      'ALERT: [pool www] pm.min_spare_servers(5) and pm.max_spare_servers(35) cannot be greater than pm.max_children(4)',
      'ERROR: failed to post process the configuration',
      'ERROR: FPM initialization failed',
    ])
    expect(tt.pools).toEqual([])
    expect(tt.global).toEqual({})
  })

  it('keeps PHP parser errors, which carry no timestamp', () => {
    const tt = parseFpmTt(fixtureText('fpm-invalid', 'php-fpm-tt-syntax-unquoted-equals.txt'))
    expect(tt.ok).toBe(false)
    expect(tt.errors[0]).toBe("PHP:  syntax error, unexpected '=' in Unknown on line 1")
    expect(tt.errors.at(-1)).toBe('ERROR: FPM initialization failed')
  })

  it('separates warnings and notices from errors', () => {
    const noPool = parseFpmTt(fixtureText('fpm-invalid', 'php-fpm-tt-syntax-no-pool-files.txt'))
    expect(noPool.warnings).toEqual([
      "WARNING: Nothing matches the include pattern '/etc/php/8.2/fpm/pool.d/*.conf' from /etc/php/8.2/fpm/php-fpm.conf at line 145.",
    ])
    expect(noPool.errors[0]).toBe('ERROR: No pool defined. at least one pool section must be specified in config file')
    const computed = parseFpmTt(fixtureText('fpm-invalid', 'php-fpm-tt-pm-start-unset.txt'))
    expect(computed.ok).toBe(true)
    expect(computed.messages).toContainEqual({
      level: 'NOTICE',
      message: "[pool www] pm.start_servers is not set. It's been set to 4.",
    })
    expect(computed.pools[0]!.values['pm.start_servers']).toBe('4')
  })

  it('reads the doubled output of a Docker image (error_log on stderr, stderr on a pipe) like the plain one', () => {
    const piped = fixtureText('docker-php-fpm', 'php-fpm-tt-piped.txt')
    const plain = fixtureText('docker-php-fpm', 'php-fpm-tt.txt')
    expect(piped.split('\n')[0]).toBe(piped.split('\n')[1])
    const fromPipe = parseFpmTt(piped)
    expect(fromPipe.pools[0]!.values['listen']).toBe('9000')
    expect({global: fromPipe.global, pools: fromPipe.pools, ok: fromPipe.ok}).toEqual({
      global: parseFpmTt(plain).global,
      pools: parseFpmTt(plain).pools,
      ok: true,
    })
  })

  it('reports a cut-off dump as not ok and keeps what it got', () => {
    const full = fixtureText('debian-php82', 'php-fpm-tt.txt')
    const cut = full.slice(0, full.indexOf('pm.max_children'))
    const tt = parseFpmTt(cut)
    expect(tt.ok).toBe(false)
    expect(tt.pools[0]!.values['listen']).toBe('/run/php/php8.2-fpm.sock')
    expect(tt.pools[0]!.values['pm.max_children']).toBeUndefined()
  })

  it('reads CRLF output the same', () => {
    const text = fixtureText('debian-php82', 'php-fpm-tt.txt')
    expect(parseFpmTt(text.replaceAll('\n', '\r\n'))).toEqual(parseFpmTt(text))
  })

  it.each([
    ['an empty capture', ''],
    ['a shell error', 'sh: 1: php-fpm8.2: not found\n'],
  ])('refuses %s with GATHER_PARSE', (_name, output) => {
    let error: unknown
    try {
      parseFpmTt(output)
    } catch (caught) {
      error = caught
    }
    expect(isFpmfixError(error) && error.code).toBe('GATHER_PARSE')
  })
})

function normalize(key: string, text: string): unknown {
  switch (POOL_OPTIONS.get(key)) {
    case 'time':
      return parseDuration(text)
    case 'boolean':
      return parseIniBoolean(text)
    case 'integer':
      return atoi(text)
    default:
      return text
  }
}
