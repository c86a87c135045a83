export interface InventoryHost {
  name: string
  sshPort: number
  httpPort: number
}

/** Ansible INI inventory: every lab host in group [lab], reached as root with the lab client key. */
export function renderInventory(hosts: readonly InventoryHost[], clientKeyPath: string): string {
  const lines = hosts.map((host) =>
    [
      host.name,
      'ansible_host=127.0.0.1',
      `ansible_port=${host.sshPort}`,
      'ansible_user=root',
      `ansible_ssh_private_key_file=${clientKeyPath}`,
      `lab_http_port=${host.httpPort}`,
    ].join(' '),
  )
  return ['[lab]', ...lines, ''].join('\n')
}

export function renderKnownHosts(hostKeyLines: readonly string[]): string {
  return hostKeyLines.map((line) => `${line}\n`).join('')
}
