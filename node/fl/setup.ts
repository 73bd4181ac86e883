/**
 * What federated learning needs before the services that use it are built: the TF.js backend,
 * this node's split of the dataset, the validation evaluator and the tangle's validity predicate.
 */
import { toHex, type Genesis, type Keypair, shortId } from '../../ledger/index.js'
import type { SystemState } from '../../consensus/state/state.js'
import { federatedData, type FederatedData } from '../../fl/data.js'
import { initBackend, nativeBackendProblem } from '../../fl/train.js'
import { loadDataset } from './dataset-files.js'
import type { Logger } from '../logger.js'
import type { BlobStore } from './blobs.js'
import { ModelEvaluator } from './evaluator.js'
import { UpdateValidity } from './validity.js'

export interface FlSetup {
  backend: string
  data: FederatedData
  evaluator: ModelEvaluator
  validity: UpdateValidity
}

export async function prepareFl(o: {
  genesis: Genesis
  keypair: Keypair
  m0: string
  blobs: BlobStore
  /** the committed system state: FL round and members (read when an update is judged) */
  system: () => SystemState
  logger: Logger
}): Promise<FlSetup> {
  const p = o.genesis.params.fl
  const started = Date.now()
  const backend = await initBackend()
  const data = await federatedData(p, p.seed, loadDataset)
  const evaluator = new ModelEvaluator(p.model, data.validation)
  const validity = new UpdateValidity({
    genesis: o.genesis,
    blobs: o.blobs,
    m0: o.m0,
    fl: () => o.system().fl,
    system: o.system,
    accuracy: (hash, w) => evaluator.accuracy(hash, w),
    self: toHex(o.keypair.publicKey),
    log: (id, why) => o.logger.info({ id: shortId(id), why }, 'local update judged invalid: it will not be approved here'),
  })
  const native = nativeBackendProblem()
  // the WebAssembly backend trains several times slower than @tensorflow/tfjs-node: say why that was not used
  o.logger.info(
    {
      backend,
      validation: data.validation.count,
      judgedOn: evaluator.validation.count,
      ms: Date.now() - started,
      ...(native ? { tfjsNode: native } : {}),
    },
    'federated learning data loaded',
  )
  return { backend, data, evaluator, validity }
}
