import { createServer } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import t from 'tap'
import type { DashboardSampler } from '../../../src/admin/dashboard-sampler.js'
import { DashboardStream } from '../../../src/admin/dashboard-stream.js'
import { captureLogger } from '../../helpers/healing-rig.js'
import { eventually } from '../../helpers/harness.js'

/** A sampler whose frames are 256 KiB each: a client that does not read falls behind within a few frames. */
const bigFrames = {
  reset: () => undefined,
  frame: () => ({ timeMs: 0, upstreams: [], events: [], padding: 'x'.repeat(256 << 10) }),
} as unknown as DashboardSampler

t.test('a client that does not read is dropped once 1 MiB is queued for it, never buffered without bound', async (t) => {
  const { logger, lines } = captureLogger('warn')
  const stream = new DashboardStream(bigFrames, logger, { maxStreams: 2, intervalMs: 10, maxBufferedBytes: 1 << 20 })
  const server = createServer((req, res) => stream.serve(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    stream.close()
    server.closeAllConnections()
    server.close()
  })
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  socket.write('GET /api/stream HTTP/1.1\r\nhost: x\r\n\r\n')
  socket.pause() // reads nothing: the kernel buffers fill, then the response's queue grows
  t.ok(await eventually(() => stream.open === 1, 2_000), 'the stream opened')
  t.ok(await eventually(() => stream.open === 0, 10_000), 'and was dropped')
  t.match(lines(), [{ level: 40, msg: 'dashboard stream dropped: the client reads too slowly' }])
  t.ok((lines()[0].queuedBytes as number) > 1 << 20, 'after more than 1 MiB was queued')
})
