import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {groupMembers, resolveTargets, type Inventory} from '../../../src/inventory/index.js'
import {parseYamlInventory} from '../../../src/inventory/yaml-inventory.js'
import {fixturePath, loadFixture, thrown} from './fixture.js'

const yaml = (name: string): Inventory => parseYamlInventory(readFileSync(fixturePath(name), 'utf8'), name)

/** What an inventory means for fpmfix: groups with their members, and how every host is reached. */
function meaning(inventory: Inventory) {
  const groups = Object.fromEntries(
    [...inventory.groups.keys()].sort().map((name) => [name, [...groupMembers(inventory, name)].sort()]),
  )
  const targets = resolveTargets(['all'], inventory).map(({vars, ...target}) => ({
    ...target,
    custom: Object.fromEntries(Object.entries(vars).filter(([key]) => !key.startsWith('ansible_'))),
  }))
  return {groups, targets}
}

describe('parseYamlInventory: the same fleets as the INI fixtures', () => {
  it('production.yml means what production.ini means: groups, precedence of group vars, ports', () => {
    const fromYaml = yaml('production.yml')
    expect(meaning(fromYaml)).toEqual(meaning(loadFixture('production.ini')))
    // Child groups beat parents, the deeper raleigh beats atlanta's parent, host vars beat all.
    expect(fromYaml.hosts.get('host2')?.vars).toMatchObject({
      ntp_server: 'ntp.raleigh.example.com',
      halon_system_timeout: '30',
      escape_pods: '2',
      ansible_user: 'deploy',
    })
    expect(fromYaml.hosts.get('host5')?.vars).toMatchObject({ansible_port: '2222'})
    expect(fromYaml.hosts.get('host2')?.groups).toEqual(['all', 'usa', 'southeast', 'atlanta', 'raleigh'])
  })

  it('php-fleet.yml (ansible-inventory --yaml layout) reaches every host as php-fleet.ini does', () => {
    const fromYaml = yaml('php-fleet.yml')
    expect(meaning(fromYaml)).toEqual(meaning(loadFixture('php-fleet.ini')))
    const stage = resolveTargets(['stage.shop.example.com'], fromYaml)[0]
    expect(stage).toMatchObject({address: 'stage-01.internal', become: true})
    expect(resolveTargets(['fe01.shop.example.com'], fromYaml)[0]).toMatchObject({user: 'www-admin', become: true})
    expect(stage?.privateKeyFile).toBe('~/.ssh/staging_ed25519')
    expect(resolveTargets(['jump.shop.example.com'], fromYaml)[0]).toMatchObject({port: 2200, become: false})
    expect(resolveTargets(['this-box'], fromYaml)[0]?.connection).toBe('local')
  })

  it('reads the Ansible guide example: hosts without a colon, one-string sections, empty groups', () => {
    const text = [
      'all:',
      '  hosts:',
      '    test1:',
      '    test2:',
      '      host_var: value',
      '  vars:',
      '    group_all_var: value',
      '  children:',
      '    other_group:',
      '      children:',
      '        group_x:',
      '          hosts:',
      '            test5',
      '        group_y:',
      '          hosts:',
      '            test6:',
      '      vars:',
      '        g2_var2: value3',
      '      hosts:',
      '        test4:',
      '          ansible_host: 127.0.0.1',
      '    last_group:',
      '      hosts:',
      '        test1',
      '      vars:',
      '        group_last_var: value',
      '    empty:',
    ].join('\n')
    const inventory = parseYamlInventory(text, 'example.yml')
    expect(groupMembers(inventory, 'other_group').sort()).toEqual(['test4', 'test5', 'test6'])
    expect(inventory.hosts.get('test1')?.vars).toEqual({group_all_var: 'value', group_last_var: 'value'})
    expect(inventory.hosts.get('test2')?.vars).toEqual({group_all_var: 'value', host_var: 'value'})
    expect(inventory.hosts.get('test5')?.vars).toEqual({group_all_var: 'value', g2_var2: 'value3'})
    expect(inventory.groups.get('empty')?.hosts).toEqual([])
    expect(inventory.groups.get('ungrouped')?.hosts).toEqual(['test2'])
  })

  it('keeps values as text the way the INI loader does: YAML 1.1 booleans, numbers as written, lists as JSON', () => {
    const text = [
      'web:',
      '  hosts:',
      '    web1:',
      '      ansible_become: yes',
      '      ratio: 1.50',
      '      mode: 0755',
      '      ports: [80, 443]',
      '      empty:',
    ].join('\n')
    expect(parseYamlInventory(text, 'h.yml').hosts.get('web1')?.vars).toEqual({
      ansible_become: 'true',
      ratio: '1.50',
      mode: '0755',
      ports: '[80,443]',
      empty: '',
    })
  })
})

describe('parseYamlInventory: errors name the file and line', () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['broken YAML', 'all:\n  hosts:\n  a: b\n    c: d\n', 3, /not valid YAML/],
    [
      'a list of hosts',
      'web:\n  hosts:\n    - web1\n    - web2\n',
      3,
      /'hosts' of group 'web' must be a mapping, not a list/,
    ],
    [
      'a misspelt section',
      'web:\n  host:\n    web1:\n',
      2,
      /group 'web' has 'host:'; a group holds only hosts:, vars: and children:/,
    ],
    [
      'host variables that are a list',
      'web:\n  hosts:\n    web1:\n      - a\n',
      3,
      /host 'web1' in group 'web' must have a mapping/,
    ],
    ['a malformed range', 'web:\n  hosts:\n    web[1:x]:\n', 3, /range/],
    [
      'a cycle of children',
      'a:\n  children:\n    b:\n      children:\n        a:\n',
      5,
      /group 'a' would contain itself/,
    ],
    [
      'an inventory plugin configuration',
      'plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n',
      1,
      /inventory plugin 'amazon.aws.aws_ec2'/,
    ],
    ['a top-level list', '- web1\n- web2\n', 1, /mapping of group names/],
  ]

  it.each(cases)('reports %s', (_label, text, line, message) => {
    const error = thrown(() => parseYamlInventory(text, 'inv/hosts.yml'))
    expect(error.code).toBe('INVENTORY_SYNTAX')
    expect(error.message).toMatch(new RegExp(`^inv/hosts.yml:${line}: `))
    expect(error.message).toMatch(message)
  })

  it('reports an empty file', () => {
    expect(thrown(() => parseYamlInventory('# nothing\n', 'e.yml')).message).toBe('e.yml:1: the inventory is empty')
  })
})
