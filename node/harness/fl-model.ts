/** The FL runner's read of a round's global model from a node. */
import { RpcError, type DitenClient } from '../rpc/client.js'
import { sleep } from './launcher.js'

/**
 * M(e) as node-0 holds it. A close is reported (fl_status) from the committed state, and the
 * model blob it names can land on that node a moment later: "not held yet" is waited out.
 */
export async function modelBlob(client: DitenClient, round: number): Promise<{ blob: string }> {
  const until = Date.now() + 30_000
  for (;;) {
    try {
      return await client.call<{ blob: string }>('fl_getModel', { round })
    } catch (e) {
      if (!(e instanceof RpcError && e.reason === 'NOT_FOUND' && e.message.includes('yet')) || Date.now() > until) throw e
      await sleep(250)
    }
  }
}
