import {DEFAULT_POLICY, type Policy} from '../model/policy.js'
import {derivedBusyBuffers, maxBusyBuffers, minBusyBuffers} from '../nginx/fastcgi-buffers.js'

const KB = 1024

export interface BufferPlan {
  bufferSize: number
  buffers?: {count: number; size: number}
  busy?: number
}

/**
 * A fastcgi_buffer_size big enough for the headers seen, and fastcgi_buffers /
 * fastcgi_busy_buffers_size adjusted only as far as `nginx -t`'s own checks require:
 * busy ≥ max(buffer_size, one buffer) and busy ≤ all buffers minus one. `busy` is the
 * written value; unset, nginx derives it as twice the larger of buffer_size and one buffer.
 */
export function planBuffers(
  current: {bufferSize: number; buffers: {count: number; size: number}; busy: number | undefined},
  bounds: Policy['buffers'] = DEFAULT_POLICY.buffers,
): BufferPlan {
  const bufferSize = Math.min(
    bounds.maxBufferSizeKb * KB,
    Math.max(bounds.minBufferSizeKb * KB, current.bufferSize * 2),
  )
  const plan: BufferPlan = {bufferSize}
  let {count, size} = current.buffers
  const busyFor = (one: number) => plan.busy ?? current.busy ?? derivedBusyBuffers(bufferSize, one)
  // A written busy size moves only when it falls below the new minimum.
  if (current.busy !== undefined && current.busy < minBusyBuffers(bufferSize, size))
    plan.busy = derivedBusyBuffers(bufferSize, size)
  if (busyFor(size) > maxBusyBuffers({count, size})) {
    size = Math.max(size, bufferSize / 2)
    if (plan.busy !== undefined) plan.busy = derivedBusyBuffers(bufferSize, size)
    count = Math.max(count, Math.ceil(busyFor(size) / size) + 1)
    plan.buffers = {count, size}
  }
  return plan
}
