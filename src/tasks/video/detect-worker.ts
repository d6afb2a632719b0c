/**
 * A detector in a worker thread (see detect-pool.ts): its own tfjs engine and wasm instance, the
 * same code as in-thread detection (detect.ts), so the same numbers. Frames are handled strictly in
 * the order they arrive, since lightning's crop follows the previous frame.
 */
import {parentPort, workerData} from 'node:worker_threads'

import {selectBackend} from '../../nn/tfjs/backend.js'
import {createDetector, type DecodedFrame, type Detector} from './detect.js'
import type {DetectorName} from './detectors.js'
import {workerFailure as failure, type WorkerReply, type WorkerRequest} from './detect-pool.js'

const port = parentPort!
const {name} = workerData as {name: DetectorName}

const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer)

const detector: Promise<Detector> = (async () => {
  await selectBackend()
  const d = await createDetector(name)
  d.reset()
  return d
})()
detector.then(
  () => post({type: 'ready'}),
  (err: unknown) => post({type: 'failed', error: failure(err)}),
)

let queue: Promise<unknown> = detector
port.on('message', (msg: WorkerRequest) => {
  queue = queue.then(async () => {
    const d = await detector
    if (msg.type === 'warm') {
      await d.warmUp(msg.width, msg.height)
      return
    }
    if (msg.type === 'reset') {
      d.reset()
      return
    }
    const frame: DecodedFrame = {rgb: new Uint8Array(msg.rgb), width: msg.width, height: msg.height, scale: msg.scale, scaleY: msg.scaleY}
    try {
      const people = await d.detect(frame)
      post({type: 'result', index: msg.index, people}, people.map((p) => p.keypoints.buffer as ArrayBuffer))
    } catch (err) {
      post({type: 'error', index: msg.index, error: failure(err)})
    }
  }).catch((err: unknown) => post({type: 'failed', error: failure(err)}))
})
