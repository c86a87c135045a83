import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadInventory, parseHostList, resolveTargets} from '../../../src/inventory/index.js'
import {fpmfixRejection} from '../../support/fpmfix-error.js'
import {fixturePath} from './fixture.js'

describe('loadInventory', () => {
  let directory: string
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fpmfix-inventory-'))
  })
  afterAll(async () => {
    await rm(directory, {recursive: true, force: true})
  })

  it('reads an INI file and names it in the inventory', async () => {
    const path = fixturePath('production.ini')
    const inventory = await loadInventory(path)
    expect(inventory.source).toBe(path)
    expect([...inventory.hosts.keys()]).toEqual(['host1', 'host2', 'host3', 'host4', 'host5'])
  })

  it('reports a missing file with a hint about host lists', async () => {
    const error = await fpmfixRejection(loadInventory(join(directory, 'nope.ini')))
    expect(error.code).toBe('INVENTORY_NOT_FOUND')
    expect(error.message).toBe(`inventory file ${join(directory, 'nope.ini')} does not exist`)
    expect(error.hint).toContain("-i 'web1,web2,'")
  })

  it('reads a value with a comma that is not a file as a host list', async () => {
    const inventory = await loadInventory('web1.example.com, web2.example.com:2222,')
    expect(inventory.source).toBe('host list')
    expect(inventory.groups.get('ungrouped')?.hosts).toEqual(['web1.example.com', 'web2.example.com'])
    expect(resolveTargets(['all'], inventory, {}).map((target) => [target.address, target.port])).toEqual([
      ['web1.example.com', undefined],
      ['web2.example.com', 2222],
    ])
  })

  it('reads an existing file even when its name contains a comma', async () => {
    const path = join(directory, 'a,b.ini')
    await writeFile(path, '[web]\nfrom-file\n')
    expect([...(await loadInventory(path)).hosts.keys()]).toEqual(['from-file'])
  })

  it('reads YAML inventories by extension', async () => {
    const inventory = await loadInventory(fixturePath('hosts.yml'))
    expect([...inventory.hosts.keys()]).toEqual(['mail.example.com', 'foo.example.com', 'bar.example.com'])
    expect(inventory.groups.get('webservers')?.hosts).toEqual(['foo.example.com', 'bar.example.com'])
  })

  it('reads YAML inventories by content when the name does not tell, and JSON by extension', async () => {
    const path = join(directory, 'hosts')
    await writeFile(path, '---\nall:\n  hosts:\n    web1:\n      ansible_port: 2222\n')
    expect((await loadInventory(path)).hosts.get('web1')?.vars).toEqual({ansible_port: '2222'})
    const json = join(directory, 'hosts.json')
    await writeFile(json, JSON.stringify({web: {hosts: {web2: {ansible_user: 'ops'}}, vars: {tier: 1}}}))
    expect((await loadInventory(json)).hosts.get('web2')?.vars).toEqual({ansible_user: 'ops', tier: '1'})
  })

  it('refuses a #! script that is not executable, saying how to fix it', async () => {
    const path = join(directory, 'dynamic.py')
    await writeFile(path, '#!/usr/bin/env python3\nprint("{}")\n', {mode: 0o644})
    const error = await fpmfixRejection(loadInventory(path))
    expect(error.code).toBe('INVENTORY_SCRIPT')
    expect(error.hint).toContain(`chmod +x ${path}`)
  })

  it('rejects a directory, pointing at the file inside', async () => {
    const error = await fpmfixRejection(loadInventory(directory))
    expect(error.code).toBe('INVENTORY_NOT_FOUND')
    expect(error.hint).toContain('DIR/hosts')
  })
})

describe('parseHostList', () => {
  it('accepts a single host with the trailing comma and IPv6 with a port', () => {
    expect([...parseHostList('solo,').hosts.keys()]).toEqual(['solo'])
    const inventory = parseHostList('[2001:db8::1]:2200,2001:db8::2,')
    expect([...inventory.hosts.keys()]).toEqual(['2001:db8::1', '2001:db8::2'])
    expect(inventory.hosts.get('2001:db8::1')?.vars).toEqual({ansible_port: '2200'})
  })

  it('does not expand ranges, as Ansible host lists do not', () => {
    expect([...parseHostList('web[1:3],').hosts.keys()]).toEqual(['web[1:3]'])
  })
})
