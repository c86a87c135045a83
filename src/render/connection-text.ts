import {hopText, type HostConnection, type SshHop} from '../model/target.js'

function hopDetails(hop: SshHop): string {
  const parts = [
    hop.privateKeyFile === undefined ? 'key from ssh-agent' : `key ${hop.privateKeyFile}`,
    ...(hop.knownHostsFile === undefined ? [] : [`known_hosts ${hop.knownHostsFile}`]),
    hop.hostKey === undefined ? 'host key not recorded' : `host key ${hop.hostKey.type} ${hop.hostKey.sha256}`,
  ]
  return parts.join(', ')
}

/** Where and as whom a host is reached, as a plan recorded it: one line per hop. */
export function describeConnection(connection: HostConnection | undefined): string[] {
  if (connection === undefined) return ['reached: not recorded (older plan): apply resolves it through -i INVENTORY']
  const become = connection.become ? ', commands as root through sudo -n' : ''
  if (connection.connection === 'local' || connection.ssh === undefined) {
    return [
      `reached: this machine${connection.machine === undefined ? '' : ` (${connection.machine})`}, no SSH${become}`,
    ]
  }
  const ssh = connection.ssh
  const asRoot = connection.become && ssh.user !== 'root' ? become : ''
  const lines = [`reached: ssh ${hopText(ssh)}${asRoot}`, `         ${hopDetails(ssh)}`]
  for (const jump of connection.jumpHosts ?? []) {
    lines.push(
      `  via jump host ${jump.name === jump.address ? '' : `${jump.name} `}${hopText(jump)}`,
      `         ${hopDetails(jump)}`,
    )
  }
  return lines
}
