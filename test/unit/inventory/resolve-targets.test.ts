import {describe, expect, it} from 'vitest'

import {parseInventory, resolveTargets} from '../../../src/inventory/index.js'
import {loadFixture, thrown} from './fixture.js'

const fleet = loadFixture('php-fleet.ini')
const production = loadFixture('production.ini')
const names = (patterns: string[], limit?: string) =>
  resolveTargets(patterns, fleet, {limit}).map((target) => target.name)

describe('resolveTargets: no target', () => {
  it('means this machine over no SSH when there is no inventory', () => {
    expect(resolveTargets([], undefined, {})).toEqual([
      {name: 'localhost', connection: 'local', address: 'localhost', vars: {}},
    ])
  })

  it('is a usage error when an inventory is given', () => {
    const error = thrown(() => resolveTargets([], fleet, {}))
    expect(error.code).toBe('USAGE')
    expect(error.message).toBe('give a target: a host, a group or all')
  })
})

describe('resolveTargets: names from the inventory', () => {
  it('resolves a host with its connection variables', () => {
    expect(resolveTargets(['fe-canary.shop.example.com'], fleet, {})).toEqual([
      {
        name: 'fe-canary.shop.example.com',
        connection: 'ssh',
        address: '203.0.113.40',
        port: 2222,
        user: 'www-admin',
        privateKeyFile: '~/.ssh/php_fleet_ed25519',
        become: true,
        vars: fleet.hosts.get('fe-canary.shop.example.com')?.vars,
      },
    ])
  })

  it('resolves a group through its children, in inventory order', () => {
    expect(names(['php'])).toEqual([
      'fe01.shop.example.com',
      'fe02.shop.example.com',
      'fe03.shop.example.com',
      'fe04.shop.example.com',
      'fe-canary.shop.example.com',
      'worker-a.shop.example.com',
      'worker-b.shop.example.com',
      'worker-c.shop.example.com',
      'worker-legacy.shop.example.com',
      'cron0.shop.example.com',
      'cron5.shop.example.com',
      'cron10.shop.example.com',
    ])
  })

  it('resolves all to every host once', () => {
    expect(names(['all'])).toEqual([...fleet.hosts.keys()])
  })

  it('prefers a group over a host with the same name, as Ansible does', () => {
    const inventory = parseInventory(['[web]', 'web1', '[db]', 'web'].join('\n'), 'clash.ini')
    expect(resolveTargets(['web'], inventory, {}).map((target) => target.name)).toEqual(['web1'])
  })
})

describe('resolveTargets: pattern syntax', () => {
  it('unions with , and :, de-duplicated, in inventory order', () => {
    expect(names(['staging,bastion'])).toEqual([
      'fe04.shop.example.com',
      'worker-c.shop.example.com',
      'jump.shop.example.com',
      'stage.shop.example.com',
    ])
    expect(names(['bastion:staging'])).toEqual(names(['staging,bastion']))
    expect(
      names(['staging', 'frontends', 'fe04.shop.example.com']).filter((name) => name === 'fe04.shop.example.com'),
    ).toHaveLength(1)
  })

  it('intersects with &', () => {
    expect(names(['frontends:&staging'])).toEqual(['fe04.shop.example.com'])
    expect(names(['php,&staging'])).toEqual(['fe04.shop.example.com', 'worker-c.shop.example.com'])
  })

  it('excludes with !', () => {
    expect(names(['workers:!worker-legacy.shop.example.com'])).toEqual([
      'worker-a.shop.example.com',
      'worker-b.shop.example.com',
      'worker-c.shop.example.com',
    ])
    expect(names(['php:!frontends:!batch'])).toEqual(names(['workers']))
  })

  it('applies unions first, then intersections, then exclusions, whatever the written order', () => {
    expect(names(['!worker-c.shop.example.com:&staging:php'])).toEqual(['fe04.shop.example.com'])
  })

  it('starts from all when a pattern only excludes', () => {
    expect(names(['!php:!ipv6'])).toEqual(['this-box', 'jump.shop.example.com', 'stage.shop.example.com'])
  })

  it('matches * and ? wildcards against group and host names', () => {
    expect(names(['fe0?.shop.example.com'])).toEqual([
      'fe01.shop.example.com',
      'fe02.shop.example.com',
      'fe03.shop.example.com',
      'fe04.shop.example.com',
    ])
    expect(names(['*.shop.example.com:!php'])).toEqual(['jump.shop.example.com', 'stage.shop.example.com'])
    expect(names(['work*'])).toEqual(names(['workers']))
    expect(names(['*'])).toEqual([...fleet.hosts.keys()])
  })

  it('reports a wildcard that matches nothing', () => {
    expect(thrown(() => names(['nomatch*'])).code).toBe('UNKNOWN_TARGET')
  })

  it('reports a pattern whose intersection leaves nothing', () => {
    const error = thrown(() => names(['bastion:&staging']))
    expect(error.code).toBe('UNKNOWN_TARGET')
    expect(error.message).toBe("the targets 'bastion:&staging' select no host")
  })

  it('reports an operator with nothing after it', () => {
    expect(thrown(() => names(['web:!'])).code).toBe('USAGE')
  })
})

describe('resolveTargets: --limit', () => {
  it('narrows the selection with the same syntax', () => {
    expect(names(['php'], 'staging')).toEqual(['fe04.shop.example.com', 'worker-c.shop.example.com'])
    expect(names(['php'], 'workers:!worker-a.shop.example.com')).toEqual([
      'worker-b.shop.example.com',
      'worker-c.shop.example.com',
      'worker-legacy.shop.example.com',
    ])
  })

  it('refuses a limit that leaves no host', () => {
    const error = thrown(() => names(['workers'], 'frontends'))
    expect(error.code).toBe('UNKNOWN_TARGET')
    expect(error.message).toBe("the targets 'workers' with --limit 'frontends' select no host")
  })

  it('names --limit when its pattern has an unknown name', () => {
    const error = thrown(() => names(['php'], 'stagign'))
    expect(error.code).toBe('UNKNOWN_TARGET')
    expect(error.message).toMatch(/^--limit: no host or group matches 'stagign'/)
  })

  it('narrows hosts given outside an inventory, and never adds one', () => {
    const targets = ['deploy@a.example.com,b.example.com:2222,c.example.com']
    expect(
      resolveTargets(targets, undefined, {limit: '*.example.com:!c.example.com'}).map((target) => target.name),
    ).toEqual(['a.example.com', 'b.example.com:2222'])
    expect(thrown(() => resolveTargets(targets, undefined, {limit: 'd.example.com'})).message).toBe(
      "--limit: 'd.example.com' matches none of the targets",
    )
  })

  it('keeps hosts outside the inventory under a limit of all or of exclusions only', () => {
    expect(names(['bastion', 'new.example.com'], 'all')).toEqual(['jump.shop.example.com', 'new.example.com'])
    expect(names(['bastion', 'new.example.com', 'this-box'], '!this-box')).toEqual([
      'jump.shop.example.com',
      'new.example.com',
    ])
    expect(names(['bastion', 'new.example.com'], '!new.example.com')).toEqual(['jump.shop.example.com'])
  })

  it('applies to the local default target too', () => {
    expect(resolveTargets([], undefined, {limit: 'localhost'})).toHaveLength(1)
    expect(thrown(() => resolveTargets([], undefined, {limit: '!localhost'})).code).toBe('UNKNOWN_TARGET')
  })
})

describe('resolveTargets: hosts outside the inventory', () => {
  it('reads [user@]host[:port] without an inventory', () => {
    expect(resolveTargets(['deploy@web1.example.com:2222', 'db1'], undefined, {})).toEqual([
      {
        name: 'web1.example.com:2222',
        connection: 'ssh',
        address: 'web1.example.com',
        port: 2222,
        user: 'deploy',
        vars: {},
      },
      {name: 'db1', connection: 'ssh', address: 'db1', vars: {}},
    ])
  })

  it('reads IPv6 bare, bracketed, and bracketed with user and port', () => {
    expect(resolveTargets(['2001:db8::5', '[2001:db8::6]', 'ops@[2001:db8::7]:2200'], undefined, {})).toEqual([
      {name: '2001:db8::5', connection: 'ssh', address: '2001:db8::5', vars: {}},
      {name: '2001:db8::6', connection: 'ssh', address: '2001:db8::6', vars: {}},
      {name: '[2001:db8::7]:2200', connection: 'ssh', address: '2001:db8::7', port: 2200, user: 'ops', vars: {}},
    ])
  })

  it('adds a dotted name, user@ or :port next to inventory hosts', () => {
    expect(names(['bastion', 'new.example.com', 'root@fresh', 'other:22'])).toEqual([
      'jump.shop.example.com',
      'new.example.com',
      'fresh',
      'other:22',
    ])
  })

  it('applies a user and port given with an inventory host name on top of its variables', () => {
    const [target] = resolveTargets(['root@worker-a.shop.example.com:2022'], fleet, {})
    expect(target).toMatchObject({name: 'worker-a.shop.example.com', user: 'root', port: 2022, become: true})
  })

  it('reads host:port as one host and a:b of two names as a union', () => {
    expect(resolveTargets(['web1.example.com:2222'], undefined, {})).toHaveLength(1)
    expect(names(['bastion:ipv6'])).toHaveLength(3)
    expect(thrown(() => resolveTargets(['php:2222'], fleet, {})).code).toBe('BAD_TARGET')
  })

  it('matches an inventory host whose name contains colons before splitting on them', () => {
    expect(names(['2001:db8::11'])).toEqual(['2001:db8::11'])
    expect(resolveTargets(['2001:db8::10'], fleet, {})[0]).toMatchObject({
      address: '2001:db8::10',
      port: 2202,
      user: 'ops',
    })
  })
})

describe('resolveTargets: local connections', () => {
  it('runs localhost, 127.0.0.1 and ::1 locally when the inventory does not define them', () => {
    expect(resolveTargets(['localhost'], production, {})).toEqual([
      {name: 'localhost', connection: 'local', address: 'localhost', vars: {}},
    ])
    expect(resolveTargets(['127.0.0.1', '::1'], undefined, {}).map((target) => target.connection)).toEqual([
      'local',
      'local',
    ])
  })

  it('uses ssh for localhost given with a user or a port', () => {
    expect(resolveTargets(['me@localhost'], undefined, {})[0]).toMatchObject({
      connection: 'ssh',
      address: 'localhost',
      user: 'me',
    })
    expect(resolveTargets(['localhost:2222'], undefined, {})[0]).toMatchObject({connection: 'ssh', port: 2222})
  })

  it('honours ansible_connection=local in the inventory', () => {
    expect(resolveTargets(['this-box'], fleet, {})[0]).toMatchObject({name: 'this-box', connection: 'local'})
  })

  it('uses ssh for a localhost the inventory defines without ansible_connection', () => {
    const inventory = parseInventory('localhost ansible_port=2222', 'h')
    expect(resolveTargets(['localhost'], inventory, {})[0]).toMatchObject({connection: 'ssh', port: 2222})
  })
})

describe('resolveTargets: connection variables', () => {
  const resolveOne = (line: string) => resolveTargets(['h'], parseInventory(line, 'inv'), {})[0]

  it.each(['true', 'True', 'yes', '1', 'on'])('reads ansible_become=%s as true', (value) => {
    expect(resolveOne(`h ansible_become=${value}`)?.become).toBe(true)
  })

  it.each(['false', 'no', '0', 'False'])('reads ansible_become=%s as false', (value) => {
    expect(resolveOne(`h ansible_become=${value}`)?.become).toBe(false)
  })

  it('leaves become unset when the inventory does not say', () => {
    expect(resolveOne('h')).not.toHaveProperty('become')
  })

  it('rejects a become value that is not a boolean', () => {
    const error = thrown(() => resolveOne('h ansible_become=sometimes'))
    expect(error.code).toBe('BAD_TARGET')
    expect(error.message).toBe("host 'h': ansible_become=sometimes is not a boolean")
  })

  it('reads the ansible_ssh_* spellings, the plain one winning when both are set', () => {
    expect(
      resolveOne(
        'h ansible_ssh_host=10.0.0.9 ansible_ssh_port=2200 ansible_ssh_user=root ansible_ssh_private_key_file=/k',
      ),
    ).toMatchObject({
      address: '10.0.0.9',
      port: 2200,
      user: 'root',
      privateKeyFile: '/k',
    })
    expect(
      resolveOne(
        'h ansible_host=a ansible_ssh_host=b ansible_user=u ansible_ssh_user=v ansible_private_key_file=/p ansible_ssh_private_key_file=/q',
      ),
    ).toMatchObject({address: 'a', user: 'u', privateKeyFile: '/p'})
  })

  it('takes a key file from the group that wins precedence', () => {
    expect(resolveTargets(['fe04.shop.example.com'], fleet, {})[0]?.privateKeyFile).toBe('~/.ssh/staging_ed25519')
    expect(resolveTargets(['fe01.shop.example.com'], fleet, {})[0]?.privateKeyFile).toBe('~/.ssh/php_fleet_ed25519')
  })

  it.each(['0', '65536', 'ssh', '22.5', '-1'])('rejects ansible_port=%s', (port) => {
    const error = thrown(() => resolveOne(`h ansible_port=${port}`))
    expect(error.code).toBe('BAD_TARGET')
    expect(error.message).toMatch(/is not a port number from 1 to 65535/)
  })

  it('rejects a name:port out of range in the inventory when resolved', () => {
    expect(thrown(() => resolveOne('h:70000')).code).toBe('BAD_TARGET')
  })

  it('rejects a connection plugin other than ssh or local', () => {
    const error = thrown(() => resolveOne('h ansible_connection=winrm'))
    expect(error.code).toBe('BAD_TARGET')
    expect(error.message).toMatch(/ansible_connection=winrm/)
  })

  it.each(['web1:0', 'web1:65536', '[::1]:99999', '@web1', 'bad user@web1', 'me@web:db'])(
    'rejects the command-line host %s',
    (spec) => {
      expect(thrown(() => resolveTargets([spec], undefined, {})).code).toBe('BAD_TARGET')
    },
  )
})

describe('resolveTargets: unknown names', () => {
  it('lists the groups and the hosts that exist', () => {
    const error = thrown(() => resolveTargets(['stagign'], fleet, {}))
    expect(error.code).toBe('UNKNOWN_TARGET')
    expect(error.message).toBe("no host or group matches 'stagign' in php-fleet.ini")
    expect(error.hint).toContain('Groups: all, ungrouped, frontends, workers, batch, bastion, ipv6, staging, php.')
    expect(error.hint).toContain('Hosts: this-box, fe01.shop.example.com,')
    expect(error.hint).toContain(', stage.shop.example.com.')
  })

  it('lists at most 20 hosts of a large inventory', () => {
    const large = loadFixture('default-hosts.ini')
    const error = thrown(() => resolveTargets(['webserver'], large, {}))
    expect(error.details?.hosts).toEqual([...large.hosts.keys()].slice(0, 20))
    expect(error.hint).toContain(`and ${large.hosts.size - 20} more.`)
    expect(error.hint).not.toContain([...large.hosts.keys()][20])
  })

  it('does not guess that a bare word is a host when an inventory is given', () => {
    expect(thrown(() => resolveTargets(['atlantaa'], production, {})).code).toBe('UNKNOWN_TARGET')
  })

  it('refuses an exclusion of a name that does not exist rather than ignoring a typo', () => {
    expect(thrown(() => names(['php:!wokers'])).code).toBe('UNKNOWN_TARGET')
  })

  it('says an inventory is needed for all or a wildcard without one', () => {
    expect(thrown(() => resolveTargets(['all'], undefined, {})).message).toBe(
      "target 'all' needs an inventory to match against",
    )
    expect(thrown(() => resolveTargets(['web*'], undefined, {})).message).toBe(
      "target 'web*' needs an inventory to match against",
    )
  })
})
