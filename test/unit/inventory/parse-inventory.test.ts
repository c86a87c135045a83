import {describe, expect, it} from 'vitest'

import {groupMembers, parseInventory} from '../../../src/inventory/index.js'
import {loadFixture, thrown} from './fixture.js'

describe('parseInventory: the default hosts file layout', () => {
  const inventory = loadFixture('default-hosts.ini')

  it('puts hosts before the first header in ungrouped, and every group under all', () => {
    expect(inventory.groups.get('ungrouped')?.hosts).toEqual([
      'green.example.com',
      'blue.example.com',
      '192.168.100.1',
      '192.168.100.10',
      'mail0.example.com',
      'mail1.example.com',
      'mail2.example.com',
      'mail3.example.com',
    ])
    expect(inventory.groups.get('all')?.children).toEqual(['ungrouped', 'webservers', 'dbservers'])
    expect(groupMembers(inventory, 'all')).toHaveLength(inventory.hosts.size)
  })

  it('expands padded and plain ranges in group sections', () => {
    expect(inventory.groups.get('webservers')?.hosts.slice(-6)).toEqual([
      'www001.example.com',
      'www002.example.com',
      'www003.example.com',
      'www004.example.com',
      'www005.example.com',
      'www006.example.com',
    ])
    expect(inventory.groups.get('dbservers')?.hosts.slice(-3)).toEqual([
      'db-99-node.example.com',
      'db-100-node.example.com',
      'db-101-node.example.com',
    ])
  })

  it('keeps one host entry for a host listed in two groups', () => {
    expect(inventory.hosts.get('myserver.example.net')?.groups).toEqual(['all', 'dbservers', 'webservers'])
    expect([...inventory.hosts.keys()].filter((name) => name === 'myserver.example.net')).toHaveLength(1)
  })
})

describe('parseInventory: groups of groups and variable precedence', () => {
  const inventory = loadFixture('production.ini')

  it('resolves children recursively, including children defined before their parent', () => {
    expect(groupMembers(inventory, 'southeast')).toEqual(['host1', 'host2', 'host3'])
    expect(groupMembers(inventory, 'usa')).toEqual(['host1', 'host2', 'host3', 'host4', 'host5'])
    expect(groupMembers(inventory, 'northwest')).toEqual([])
    expect(inventory.groups.get('usa')?.children).toEqual(['southeast', 'northeast', 'southwest', 'northwest'])
    expect(inventory.groups.get('all')?.children).toEqual(['ungrouped', 'usa'])
  })

  it('computes depth as the longest path from all', () => {
    const depth = (name: string) => inventory.groups.get(name)?.depth
    expect([depth('all'), depth('usa'), depth('southeast'), depth('atlanta'), depth('northeast')]).toEqual([
      0, 1, 2, 3, 2,
    ])
  })

  it('lets a child group override its parents and all:vars stay lowest', () => {
    const host1 = inventory.hosts.get('host1')
    expect(host1?.groups).toEqual(['all', 'usa', 'southeast', 'atlanta'])
    expect(host1?.vars).toMatchObject({
      ansible_user: 'deploy', // only in all:vars
      ntp_server: 'ntp.usa.example.com', // usa beats all
      halon_system_timeout: '30', // southeast beats usa
      escape_pods: '2', // southeast beats all
    })
    expect(inventory.hosts.get('host3')?.vars.ntp_server).toBe('ntp.raleigh.example.com')
    expect(inventory.hosts.get('host4')?.vars).toMatchObject({
      halon_system_timeout: '45',
      escape_pods: '0',
      ansible_host: '198.51.100.4',
    })
  })

  it('turns name:port into ansible_port', () => {
    expect(inventory.hosts.get('host5')?.hostVars).toEqual({ansible_port: '2222'})
  })
})

describe('parseInventory: the ini plugin documentation example', () => {
  const inventory = loadFixture('ini-plugin-example.ini')

  it('drops inline comments after host variables and after literal values in :vars', () => {
    expect(inventory.hosts.get('host2')?.hostVars).toEqual({ansible_port: '222'})
    expect(inventory.groups.get('web')?.vars).toEqual({http_port: '8080', myvar: '23'})
    expect(inventory.groups.get('nginx')?.vars).toEqual({has_java: 'True'})
  })

  it('keeps a # inside quotes and removes the Python quotes', () => {
    expect(inventory.hosts.get('tomcat3')?.vars.mysecret).toBe('03#pa33w0rd')
  })

  it('applies host vars over group vars and child group vars over parent and all', () => {
    expect(inventory.hosts.get('tomcat2')?.vars.myvar).toBe('34')
    expect(inventory.hosts.get('tomcat1')?.vars.myvar).toBe('23')
    expect(inventory.hosts.get('jenkins1')?.vars.has_java).toBe('True')
    expect(inventory.hosts.get('host1')?.vars.has_java).toBe('False')
  })

  it('accepts a comment after a section header', () => {
    expect(inventory.groups.get('web')?.children).toEqual(['apache', 'nginx'])
  })
})

describe('parseInventory: constructs', () => {
  it('merges two groups at the same depth alphabetically, the later name winning', () => {
    const text = ['[zeta]', 'web1', '[alpha]', 'web1', '[zeta:vars]', 'pool=zeta', '[alpha:vars]', 'pool=alpha'].join(
      '\n',
    )
    const host = parseInventory(text, 'same-depth.ini').hosts.get('web1')
    expect(host?.groups).toEqual(['all', 'alpha', 'zeta'])
    expect(host?.vars.pool).toBe('zeta')
  })

  it('orders equal-depth groups by ansible_group_priority before the name', () => {
    const text = [
      '[zeta]',
      'web1',
      '[alpha]',
      'web1',
      '[zeta:vars]',
      'pool=zeta',
      '[alpha:vars]',
      'pool=alpha',
      'ansible_group_priority=10',
    ].join('\n')
    expect(parseInventory(text, 'priority.ini').hosts.get('web1')?.vars.pool).toBe('alpha')
  })

  it('prefers a deeper group over an alphabetically later shallow one', () => {
    const text = [
      '[parent:children]',
      'aaa',
      '[aaa]',
      'web1',
      '[zzz]',
      'web1',
      '[aaa:vars]',
      'pool=deep',
      '[zzz:vars]',
      'pool=shallow',
    ].join('\n')
    expect(parseInventory(text, 'depth.ini').hosts.get('web1')?.vars.pool).toBe('deep')
  })

  it('reads comment lines starting with # or ;, blank lines, CRLF and a BOM', () => {
    const text = '\uFEFF# comment\r\n; another\r\n\r\n[web]\r\nweb1 ansible_user=deploy\r\n'
    const inventory = parseInventory(text, 'crlf.ini')
    expect([...inventory.hosts.keys()]).toEqual(['web1'])
    expect(inventory.hosts.get('web1')?.vars).toEqual({ansible_user: 'deploy'})
  })

  it('reads quoted values with spaces, both quote styles and escapes', () => {
    const line = `web1 motd="hello world" path='/srv/my app' note=it\\'s greeting="say \\"hi\\""`
    expect(parseInventory(line, 'quotes.ini').hosts.get('web1')?.vars).toEqual({
      motd: 'hello world',
      path: '/srv/my app',
      note: "it's",
      greeting: 'say "hi"',
    })
  })

  it('reads :vars values verbatim after the first =, keeping a comment after a plain word as Ansible does', () => {
    const text = [
      '[web]',
      'web1',
      '[web:vars]',
      'opts = -x --y=1',
      'user=deploy # not a literal',
      "quoted='a b' # literal",
    ].join('\n')
    expect(parseInventory(text, 'vars.ini').groups.get('web')?.vars).toEqual({
      opts: '-x --y=1',
      user: 'deploy # not a literal',
      quoted: 'a b',
    })
  })

  it('lets a later host line override earlier host vars, and an explicit ansible_port beat name:port', () => {
    const text = ['web1:2200 ansible_port=2201 role=a', '[web]', 'web1 role=b'].join('\n')
    expect(parseInventory(text, 'override.ini').hosts.get('web1')?.hostVars).toEqual({ansible_port: '2201', role: 'b'})
  })

  it('removes a host from ungrouped once it appears in a real group', () => {
    const inventory = parseInventory(['web1', 'db1', '[web]', 'web1'].join('\n'), 'ungrouped.ini')
    expect(inventory.groups.get('ungrouped')?.hosts).toEqual(['db1'])
    expect(inventory.hosts.get('web1')?.groups).toEqual(['all', 'web'])
  })

  it('counts hosts listed under [all] as ungrouped', () => {
    const inventory = parseInventory(['[all]', 'solo'].join('\n'), 'all.ini')
    expect(inventory.groups.get('ungrouped')?.hosts).toEqual(['solo'])
    expect(inventory.hosts.get('solo')?.groups).toEqual(['all', 'ungrouped'])
  })

  it('accepts [g:vars] before [g], and a child declared only by its own [child:children]', () => {
    const text = [
      '[web:vars]',
      'tier=front',
      '[site:children]',
      'web',
      'region',
      '[region:children]',
      'web',
      '[web]',
      'web1',
    ].join('\n')
    const inventory = parseInventory(text, 'forward.ini')
    expect(inventory.hosts.get('web1')?.vars.tier).toBe('front')
    expect(groupMembers(inventory, 'site')).toEqual(['web1'])
    expect(inventory.groups.get('web')?.depth).toBe(3)
  })

  it('reads bracketed IPv6 with a port and a bare IPv6 address', () => {
    const inventory = loadFixture('php-fleet.ini')
    expect(inventory.groups.get('ipv6')?.hosts).toEqual(['2001:db8::10', '2001:db8::11'])
    expect(inventory.hosts.get('2001:db8::10')?.hostVars).toEqual({ansible_port: '2202', ansible_user: 'ops'})
  })
})

describe('parseInventory: errors name the file and line', () => {
  const cases: Array<[string, string[], number, RegExp]> = [
    [
      'an undefined child group',
      ['[web]', 'web1', '[site:children]', 'web', 'nosuch'],
      5,
      /\[site:children\] names group 'nosuch', which is never defined/,
    ],
    [
      'vars for a group never defined',
      ['[web]', 'web1', '[ghost:vars]', 'x=1'],
      3,
      /\[ghost:vars\] is for group 'ghost'/,
    ],
    [
      'a cycle of children',
      ['[a:children]', 'b', '[b:children]', 'c', '[c:children]', 'a'],
      6,
      /group 'a' would contain itself: a → b → c → a/,
    ],
    ['a group that is its own child', ['[a:children]', 'a'], 2, /group 'a' would contain itself/],
    ["'all' as a child", ['[web:children]', 'all'], 2, /lists 'all', which cannot be a child group/],
    ['an unknown section type', ['[web]', 'web1', '', '[web:foo]'], 4, /section \[web:foo\] has unknown type 'foo'/],
    ['a header with a space', ['[web servers]'], 1, /invalid section header \[web servers\]/],
    [
      'a range without an end',
      ['[web]', 'web[1:].example.com'],
      2,
      /malformed host range in 'web\[1:\]\.example\.com': '\[1:\]' has no end value/,
    ],
    ['a reversed range', ['web[5:1]'], 1, /begins after it ends/],
    ['a padded range with a shorter end', ['web[01:100]'], 1, /the end must have 2 digits too/],
    ['a range with a zero step', ['web[1:9:0]'], 1, /step '0' in '\[1:9:0\]' must be a whole number of at least 1/],
    ['an unclosed range', ['# header comment', 'web[1:3.example.com'], 2, /'\[' without a closing '\]'/],
    ['a mixed letter/number range', ['web[a:9]'], 1, /must be two numbers or two single letters/],
    ['a host var without =', ['web1 ansible_user'], 1, /expected key=value after the host name, got 'ansible_user'/],
    ['an unterminated quote', ['web1 motd="hello'], 1, /no closing quotation/],
    [
      'a :vars line without =',
      ['[web]', 'web1', '[web:vars]', 'just_a_word'],
      4,
      /expected key=value in a :vars section/,
    ],
    ['two names on a :children line', ['[web]', '[site:children]', 'web extra'], 3, /expected one group name/],
    ['a host ending in a colon', ['[web]', 'web1:'], 2, /ends in ':'/],
    [
      'a non-numeric group priority',
      ['[web]', 'web1', '[web:vars]', 'ansible_group_priority=high'],
      4,
      /ansible_group_priority for group 'web' is 'high'/,
    ],
  ]

  it.each(cases)('reports %s', (_label, lines, line, message) => {
    const error = thrown(() => parseInventory(lines.join('\n'), 'inv/hosts'))
    expect(error.code).toBe('INVENTORY_SYNTAX')
    expect(error.message).toMatch(new RegExp(`^inv/hosts:${line}: `))
    expect(error.message).toMatch(message)
    expect(error.details).toMatchObject({source: 'inv/hosts', line})
    expect(error.hint).toBeTruthy()
  })

  it('rejects YAML content: the INI reader does not guess', () => {
    const error = thrown(() => parseInventory('# inventory\nall:\n  hosts:\n    web1:\n', 'hosts'))
    expect(error.code).toBe('INVENTORY_SYNTAX')
    expect(error.message).toBe('hosts:2: this looks like a YAML or JSON inventory, not INI')
  })

  it.each([
    ['[web', 2],
    ['[web:children', 2],
    ['[web   # comment', 2],
  ])('reports %s as an unclosed group header, not a host range', (header, line) => {
    const error = thrown(() => parseInventory(['web0', header, 'web1'].join('\n'), 'inv/hosts'))
    expect(error.code).toBe('INVENTORY_SYNTAX')
    expect(error.message).toBe(`inv/hosts:${line}: unclosed group header ${header}: no closing ']'`)
    expect(error.message).not.toMatch(/range|IPv6/)
  })

  it('reports the first of several undefined groups by line', () => {
    const text = ['[b:children]', 'late', '[a:children]', 'early', '[b]', '[a]'].join('\n')
    expect(thrown(() => parseInventory(text, 'h')).message).toMatch(/^h:2: \[b:children\] names group 'late'/)
  })
})
