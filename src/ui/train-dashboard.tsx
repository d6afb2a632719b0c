/**
 * The Ink training dashboard (TTY): epoch and step progress, a loss sparkline, lr, throughput,
 * ETA, the last evaluation and the checkpoint log, all folded from the training event stream.
 */
import {Box, render, Text} from 'ink'
import React, {useEffect, useState} from 'react'

import type {TrainEvent, TrainEvents} from '../train/events.js'
import {fmtDuration, fmtMetrics, fmtNumber, progressBar, sparkline} from './train-format.js'

export interface DashboardState {
  engine?: string
  backend?: string
  reason?: string
  message?: string
  run?: string
  epoch: number
  epochs: number
  epochStep: number
  stepsPerEpoch: number
  step: number
  loss?: number
  losses: number[]
  epochLosses: number[]
  lr?: number
  lrBackbone?: number
  throughput?: number
  eta?: number
  metrics?: Record<string, number>
  metricsEpoch?: number
  checkpoints: string[]
  done?: TrainEvent
}

export const INITIAL_DASHBOARD: DashboardState = {epoch: 0, epochs: 0, epochStep: 0, stepsPerEpoch: 0, step: 0, losses: [], epochLosses: [], checkpoints: []}

/** Folds one event into the dashboard state (pure; tests drive it directly). */
export function reduceDashboard(s: DashboardState, e: TrainEvent): DashboardState {
  switch (e.type) {
    case 'start':
      return {...s, engine: e.engine, backend: e.backend, reason: e.reason, message: e.message, run: e.path, epoch: e.epoch, epochs: e.epochs ?? s.epochs, stepsPerEpoch: e.stepsPerEpoch ?? s.stepsPerEpoch, step: e.step, lr: e.lr, lrBackbone: e.lrBackbone}
    case 'step':
      return {
        ...s,
        epoch: e.epoch,
        epochs: e.epochs ?? s.epochs,
        epochStep: e.epochStep ?? s.epochStep,
        stepsPerEpoch: e.stepsPerEpoch ?? s.stepsPerEpoch,
        step: e.step,
        loss: e.loss,
        losses: [...s.losses, e.loss ?? Number.NaN].slice(-200),
        lr: e.lr,
        lrBackbone: e.lrBackbone,
        throughput: e.throughput ?? s.throughput,
        eta: e.eta ?? s.eta,
      }
    case 'epoch_end':
      return {...s, epochLosses: e.loss === undefined ? s.epochLosses : [...s.epochLosses, e.loss]}
    case 'eval':
      return {...s, metrics: e.metrics, metricsEpoch: e.epoch}
    case 'checkpoint':
      return {...s, checkpoints: [...s.checkpoints, `${e.checkpoint} @ step ${e.step}: ${e.path}`].slice(-3)}
    case 'done':
      return {...s, done: e}
  }
}

export function DashboardView({state}: {state: DashboardState}): React.ReactElement {
  const s = state
  const epochFrac = s.stepsPerEpoch ? s.epochStep / s.stepsPerEpoch : 0
  const totalFrac = s.stepsPerEpoch && s.epochs ? s.step / (s.stepsPerEpoch * s.epochs) : 0
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text>
        <Text bold>motion training</Text> · {s.engine ?? '…'}
        {s.backend ? ` (${s.backend})` : ''}
        {s.reason ? <Text dimColor> — {s.reason}</Text> : null}
      </Text>
      {s.message ? <Text dimColor>{s.message}</Text> : null}
      <Text>
        epoch {s.epoch}/{s.epochs} {progressBar(epochFrac)} step {s.epochStep}/{s.stepsPerEpoch}
      </Text>
      <Text>
        total {progressBar(totalFrac)} global step {s.step} · ETA {fmtDuration(s.eta)}
      </Text>
      <Text>
        loss <Text bold>{fmtNumber(s.loss)}</Text> {sparkline(s.losses)}
      </Text>
      {s.epochLosses.length > 0 ? (
        <Text>
          epoch losses {sparkline(s.epochLosses, 20)} last {fmtNumber(s.epochLosses[s.epochLosses.length - 1])}
        </Text>
      ) : null}
      <Text>
        lr {fmtNumber(s.lr, 6)}
        {s.lrBackbone !== undefined && s.lrBackbone !== s.lr ? ` (backbone ${fmtNumber(s.lrBackbone, 6)})` : ''} · {s.throughput !== undefined ? `${s.throughput.toFixed(1)} clips/s` : '– clips/s'}
      </Text>
      <Text>eval{s.metricsEpoch !== undefined ? ` (epoch ${s.metricsEpoch})` : ''}: {fmtMetrics(s.metrics)}</Text>
      {s.checkpoints.map((c) => (
        <Text key={c} color="green">
          ✓ {c}
        </Text>
      ))}
      {s.done ? <Text bold>{s.done.interrupted ? 'interrupted — latest saved' : 'done'} at step {s.done.step}</Text> : null}
    </Box>
  )
}

/** Subscribes to the stream and re-renders on every event. */
export function Dashboard({events}: {events: TrainEvents}): React.ReactElement {
  const [state, setState] = useState<DashboardState>(INITIAL_DASHBOARD)
  useEffect(() => events.subscribe((e) => setState((s) => reduceDashboard(s, e))), [events])
  return <DashboardView state={state} />
}

export interface DashboardHandle {
  /** Renders the last state and releases the terminal. */
  close(): Promise<void>
}

/** Mounts the dashboard on stderr (stdout stays for results). */
export function renderDashboard(events: TrainEvents, stream: NodeJS.WriteStream = process.stderr): DashboardHandle {
  const instance = render(<Dashboard events={events} />, {stdout: stream, exitOnCtrlC: false, patchConsole: false})
  return {
    async close() {
      await new Promise((r) => setTimeout(r, 20))
      instance.unmount()
    },
  }
}
