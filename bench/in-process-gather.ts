/**
 * Connect + gather every host given on stdin in this one process, with the same modules the CLI
 * uses but without the CLI (oclif, inventory, rendering). Prints one JSON line:
 * {ms, maxRssKb, hostnames} where ms covers only the connect + gather work.
 *
 *   echo '{"hosts":[{"name":"h1","port":2222}],"privateKeyFile":"…","knownHostsFile":"…"}' | node --import tsx bench/in-process-gather.ts
 */
import {text} from 'node:stream/consumers'
import {gather} from '../src/gather/index.js'
import type {HostTarget} from '../src/model/target.js'
import {connectTransport} from '../src/transport/connect.js'

interface Request {
  hosts: Array<{name: string; port: number}>
  privateKeyFile: string
  knownHostsFile: string
}

const request = JSON.parse(await text(process.stdin)) as Request

async function gatherOne(host: Request['hosts'][number]): Promise<string> {
  const target: HostTarget = {
    name: host.name,
    connection: 'ssh',
    address: '127.0.0.1',
    port: host.port,
    user: 'root',
    privateKeyFile: request.privateKeyFile,
    vars: {},
  }
  const transport = await connectTransport(target, {knownHostsFile: request.knownHostsFile})
  try {
    return (await gather(transport, {host: host.name})).hostname
  } finally {
    await transport.close()
  }
}

const started = performance.now()
const hostnames = await Promise.all(request.hosts.map(gatherOne))
const ms = performance.now() - started
process.stdout.write(`${JSON.stringify({ms, maxRssKb: process.resourceUsage().maxRSS, hostnames})}\n`)
