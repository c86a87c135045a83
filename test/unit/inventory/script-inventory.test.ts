import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {groupMembers, loadInventory, resolveTargets, type Inventory} from '../../../src/inventory/index.js'
import {loadFixture} from './fixture.js'

let directory: string
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fpmfix-dynamic-inventory-'))
})
afterAll(async () => {
  await rm(directory, {recursive: true, force: true})
})

/** An executable inventory that answers --list with `list` and --host NAME from `hosts` (logging each call). */
async function script(name: string, list: unknown, hosts: Record<string, unknown> = {}): Promise<string> {
  const path = join(directory, name)
  const log = `${path}.calls`
  const cases = Object.entries(hosts)
    .map(([host, vars]) => `  ${host}) printf '%s\\n' '${JSON.stringify(vars)}' ;;`)
    .join('\n')
  await writeFile(
    path,
    [
      '#!/bin/sh',
      `echo "$*" >> '${log}'`,
      'if [ "$1" = --list ]; then',
      `  cat <<'JSON'`,
      JSON.stringify(list, null, 1),
      'JSON',
      '  exit 0',
      'fi',
      'case "$2" in',
      cases,
      '  *) echo "{}" ;;',
      'esac',
      '',
    ].join('\n'),
    {mode: 0o755},
  )
  return path
}

async function calls(path: string): Promise<string[]> {
  return (await readFile(`${path}.calls`, 'utf8')).trim().split('\n')
}

function reach(inventory: Inventory) {
  return resolveTargets(['all'], inventory).map(({vars: _vars, ...target}) => target)
}

describe('dynamic inventories (Ansible script protocol)', () => {
  it('reads `ansible-inventory --list` output: groups, children and _meta.hostvars, without asking --host', async () => {
    const path = await script('ansible-inventory-list', {
      _meta: {
        hostvars: {
          host1: {ansible_user: 'deploy', ntp_server: 'pool.ntp.org'},
          host2: {ansible_user: 'deploy', ntp_server: 'ntp.raleigh.example.com'},
          host3: {ansible_user: 'deploy', ntp_server: 'ntp.raleigh.example.com'},
          host4: {ansible_host: '198.51.100.4', ansible_user: 'deploy'},
          host5: {ansible_port: 2222, ansible_user: 'deploy'},
        },
      },
      all: {children: ['ungrouped', 'usa']},
      usa: {children: ['southeast', 'northeast', 'southwest', 'northwest']},
      southeast: {children: ['atlanta', 'raleigh']},
      atlanta: {hosts: ['host1', 'host2']},
      raleigh: {hosts: ['host2', 'host3']},
      northeast: {hosts: ['host4']},
      southwest: {hosts: ['host5']},
    })
    const inventory = await loadInventory(path)
    expect(inventory.source).toBe(path)
    expect(reach(inventory)).toEqual(reach(loadFixture('production.ini')))
    expect(groupMembers(inventory, 'southeast')).toEqual(['host1', 'host2', 'host3'])
    expect(inventory.hosts.get('host5')?.vars.ansible_port).toBe('2222')
    expect(await calls(path)).toEqual(['--list'])
  })

  it('asks --host for each host when there is no _meta, and reads plain host lists and group vars', async () => {
    const path = await script(
      'classic.sh',
      {
        web: {hosts: ['web1.example.com', 'web2.example.com'], vars: {ansible_user: 'www', fpm_pool: 'www'}},
        db: ['db1.example.com'],
        php: {children: ['web'], vars: {ansible_become: true}},
      },
      {'web1.example.com': {ansible_host: '10.0.0.11', ansible_port: 2201}, 'db1.example.com': {ansible_user: 'pg'}},
    )
    const inventory = await loadInventory(path)
    expect(resolveTargets(['web1.example.com'], inventory)[0]).toMatchObject({
      address: '10.0.0.11',
      port: 2201,
      user: 'www',
      become: true,
    })
    expect(resolveTargets(['db'], inventory)[0]).toMatchObject({address: 'db1.example.com', user: 'pg'})
    expect(inventory.hosts.get('web2.example.com')?.vars).toEqual({
      ansible_become: 'true',
      ansible_user: 'www',
      fpm_pool: 'www',
    })
    expect((await calls(path)).sort()).toEqual([
      '--host db1.example.com',
      '--host web1.example.com',
      '--host web2.example.com',
      '--list',
    ])
  })

  it('reads the shorthand of a group object without hosts/vars/children as one host with those variables', async () => {
    const path = await script('shorthand.sh', {
      'solo.example.com': {ansible_port: 2022},
      spare: {},
      _meta: {hostvars: {}},
    })
    const inventory = await loadInventory(path)
    expect(reach(inventory)).toEqual([
      {name: 'solo.example.com', connection: 'ssh', address: 'solo.example.com', port: 2022},
    ])
    expect(inventory.groups.get('spare')?.hosts).toEqual([])
  })

  it('reports a script that fails, with its stderr, and one that prints no JSON', async () => {
    const failing = join(directory, 'failing.sh')
    await writeFile(failing, '#!/bin/sh\necho "token expired for cloud API" >&2\nexit 3\n', {mode: 0o755})
    await expect(loadInventory(failing)).rejects.toMatchObject({
      code: 'INVENTORY_SCRIPT',
      message: expect.stringMatching(/--list: exited 3\ntoken expired for cloud API$/),
    })
    const chatty = join(directory, 'chatty.sh')
    await writeFile(chatty, '#!/bin/sh\necho "hello"\n', {mode: 0o755})
    await expect(loadInventory(chatty)).rejects.toMatchObject({
      code: 'INVENTORY_SCRIPT',
      message: expect.stringMatching(/--list: printed something that is not JSON/),
      exit: 65,
    })
  })

  it('rejects groups whose hosts are not a list of names', async () => {
    const path = await script('bad-hosts.sh', {web: {hosts: {web1: {}}}})
    await expect(loadInventory(path)).rejects.toMatchObject({
      code: 'INVENTORY_SCRIPT',
      message: expect.stringContaining(`group 'web' has a "hosts" that is not a list of host names`),
    })
  })
})
