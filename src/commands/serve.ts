import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {CHECKPOINT_DESCRIPTION, CONFIG_DESCRIPTION, engineFlags, modelRequestFrom, STREAM_LAYOUT_OPTIONS} from '../cli/model-flags.js'
import type {ServeRequest} from '../predict/api.js'

export default class Serve extends BaseCommand {
  static override description = `Live 2D-to-3D on a local WebSocket endpoint: predict --stream for WebSocket clients.

Each connection is its own stream: send NDJSON frame lines as text messages ({"frame": N, "people": [{"id": 1, "keypoints": [[x, y, score], ...]}]}, one or more lines a message); every frame's 3D comes back as one message, in the same form as predict --stream writes (docs/streaming.md). A bad message gets an {"error": ...} message and the connection goes on. Listens on 127.0.0.1 (this machine) unless --host says otherwise; Ctrl-C closes every connection and exits 0.`

  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 9000 --latency 4',
    '<%= config.bin %> serve --port 0 --json',
  ]

  static override flags = {
    port: Flags.integer({description: 'TCP port (0: any free port, printed at start).', min: 0, max: 65535, default: 8765}),
    host: Flags.string({description: 'Address to listen on. The default serves this machine only; 0.0.0.0 opens it to the network (no authentication).', default: '127.0.0.1'}),
    'max-message': Flags.integer({description: 'Largest message answered, in bytes; a larger one gets an error message, one over 4x this closes the connection.', min: 1, default: 1 << 20}),
    latency: Flags.integer({description: 'Frames of look-ahead, as predict --stream --latency.', min: 0, default: 0, helpGroup: 'STREAM'}),
    layout: Flags.string({description: 'Joint layout of the keypoints (auto: by count, 17 = COCO-17, 26 = Halpe-26).', options: [...STREAM_LAYOUT_OPTIONS], default: 'auto', helpGroup: 'STREAM'}),
    'clip-len': Flags.integer({description: 'Frames per model window, look-ahead included (default 27).', min: 1, helpGroup: 'STREAM'}),
    flip: Flags.boolean({description: 'Flip test-time augmentation. On by default; --no-flip halves the work.', allowNo: true, helpGroup: 'STREAM'}),
    pixel: Flags.boolean({description: 'Keep pixel scale (needs --video-size).', default: false, helpGroup: 'STREAM'}),
    'video-size': Flags.string({description: 'Video WIDTHxHEIGHT, for --pixel or MixSTE / Strided models.', helpGroup: 'STREAM'}),
    checkpoint: Flags.string({description: `${CHECKPOINT_DESCRIPTION} Default: the bundled model (models/pose3d).`, helpGroup: 'MODEL'}),
    config: Flags.string({description: CONFIG_DESCRIPTION, helpGroup: 'MODEL'}),
    ...engineFlags,
  }

  async run(): Promise<undefined> {
    const {flags} = await this.parse(Serve)
    const api = await import('../predict/api.js')
    const server = await api.serve(
      {
        ...modelRequestFrom(flags),
        latency: flags.latency,
        layout: flags.layout as ServeRequest['layout'],
        host: flags.host,
        port: flags.port,
        maxMessageBytes: flags['max-message'],
      },
      {
        onWarning: (w) => this.note(`warning: ${w}`),
        onConnection: (id, remote) => this.note(`serve: connection ${id} from ${remote}`),
        onDisconnect: (id, s) => this.note(`serve: connection ${id} closed: ${s.frames} frames answered, ${s.errors} error lines`),
      },
    )
    const {info} = server
    this.note(`serve: listening on ${server.url}; ${info.model}, ${info.engine}; window ${info.window} frames, look-ahead ${info.latency}; 3D in ${info.units}; Ctrl-C stops`)
    // one line at start for programs (the port when --port 0), then the summary at the end
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({listening: server.url, ...info})}\n`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    })
    const summary = await server.close()
    this.note(`serve: stopped; ${summary.connections} connections, ${summary.frames} frames answered, ${summary.errors} error lines`)
    // one line, so stdout stays NDJSON (oclif would pretty-print a returned object over many lines)
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({url: server.url, ...summary})}\n`)
    return undefined
  }
}
