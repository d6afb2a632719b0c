import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {CHECKPOINT_DESCRIPTION, CONFIG_DESCRIPTION, engineFlags, modelRequestFrom, STREAM_LAYOUT_OPTIONS} from '../cli/model-flags.js'
import {DEFAULT_TASK, TASKS} from '../heads/tasks.js'
import type {PredictRequest, StreamRequest} from '../predict/api.js'
import type {PredictProgress} from '../tasks/types.js'
import {count} from '../core/text.js'
import {DETECTOR_NAMES} from '../tasks/video/detectors.js'

export default class Predict extends BaseCommand {
  static override description = `Lift 2D keypoints from a detector to 3D motion, as MotionBERT's infer_wild does (same numbers), with more input formats and outputs.

Video input: an mp4, mov, avi, webm or mkv file (decoded by ffmpeg) or a folder of images is run through the bundled 2D detector (--detector; MoveNet, offline), tracked (stable person ids) and lifted the same way; --save-2d keeps the 2D as AlphaPose JSON, --render out.mp4|.gif|.webp draws the video with the 2D skeletons beside the 3D view.
Keypoint inputs (detected; --format overrides): AlphaPose results JSON, COCO keypoint results JSON, an OpenPose folder of *_keypoints.json, MediaPipe/BlazePose JSON, CSV, NPY/NPZ [T,17,2|3] in H36M-17 order.
Output by the extension of --out: .npy [T,17,3] (as X3D.npy), .json (per frame, joint names, units), .csv (long form), .bvh (Blender). 3D is in camera coordinates (x right, y down, z away), in [-1,1] units by default or pixels with --pixel.
With --all-people each person gets NAME.person-ID.EXT (--render .html: one page with everybody).
With --stream: NDJSON 2D frames on stdin, one NDJSON line of 3D per frame on stdout (see docs/streaming.md).`

  static override examples = [
    '<%= config.bin %> predict alphapose-results.json --out walk.npy',
    '<%= config.bin %> predict handshake.mp4 --all-people --out shake.json --save-2d shake.2d.json --render shake.mp4',
    '<%= config.bin %> predict clip.mov --detector lightning --out clip.bvh --smooth one-euro',
    '<%= config.bin %> predict alphapose-results.json --pixel --video-size 1920x1080 --out walk.json --render walk.gif',
    '<%= config.bin %> predict keypoints.csv --all-people --out people.bvh --smooth one-euro --fps 30',
    '<%= config.bin %> predict run/ --format openpose --person 2 --overlap 27 --out run.csv',
    '<%= config.bin %> predict alphapose-results.json --task mesh --checkpoint FT_MB_release_MB_ft_pw3d/best_epoch.bin --out walk.glb --render walk.gif',
    '<%= config.bin %> predict alphapose-results.json --checkpoint best_epoch.bin --config configs/pose3d/MB_ft_h36m_global_lite.yaml --out x3d.npy --json',
    '<%= config.bin %> predict alphapose-results.json --all-people --render people.html',
    'my-detector | <%= config.bin %> predict --stream --latency 5 > poses.ndjson',
  ]

  static override args = {
    // ignoreStdin: stdin belongs to --stream (oclif would otherwise read piped stdin as this missing argument)
    input: Args.string({description: 'Video file (mp4, mov, avi, webm, mkv), folder of images, keypoint file, or an OpenPose folder (not with --stream, which reads stdin).', ignoreStdin: true}),
  }

  static override flags = {
    out: Flags.string({char: 'o', description: 'Output file: .npy, .json, .csv or .bvh (written atomically). With --task mesh: .npz or .json (SMPL parameters), .glb (animated mesh) or a folder (one .obj per frame). Default: INPUT-NAME.3d.json in the current folder.'}),
    format: Flags.string({
      description: 'Input format, when detection is not wanted.',
      options: ['alphapose', 'coco', 'openpose', 'mediapipe', 'csv', 'npy', 'npz'],
    }),
    task: Flags.string({description: 'What to predict.', options: [...TASKS], default: DEFAULT_TASK}),
    checkpoint: Flags.string({description: `${CHECKPOINT_DESCRIPTION} Default: the bundled model (models/pose3d).`, helpGroup: 'MODEL'}),
    config: Flags.string({description: CONFIG_DESCRIPTION, helpGroup: 'MODEL'}),
    person: Flags.string({description: "Person / track id to lift (infer_wild's --focus). Default: the longest track; the choice is reported.", helpGroup: 'PEOPLE'}),
    'all-people': Flags.boolean({description: 'Lift every person: one output per person, NAME.person-ID.EXT.', default: false, helpGroup: 'PEOPLE'}),
    pixel: Flags.boolean({description: 'Keep pixel scale (needs --video-size): the output is pixel-aligned instead of [-1,1].', default: false, helpGroup: 'WINDOWS'}),
    'video-size': Flags.string({description: 'Video WIDTHxHEIGHT in pixels, for --pixel (e.g. 1920x1080). MixSTE and Strided Transformer models need it (their official normalize_screen_coordinates) unless the keypoint file gives the image size.', helpGroup: 'WINDOWS'}),
    'clip-len': Flags.integer({description: "Frames per model call (the last clip shorter). Default: the config's clip_len, else the model's maxlen (243 for MotionBERT).", min: 1, helpGroup: 'WINDOWS'}),
    flip: Flags.boolean({description: 'Flip test-time augmentation (average with the mirrored input). On by default; --no-flip turns it off.', allowNo: true, helpGroup: 'WINDOWS'}),
    rootrel: Flags.boolean({description: "Root-relative output (pelvis at the origin). Default: the config's rootrel, else off (the first frame's root depth of each clip set to 0, as infer_wild).", allowNo: true, helpGroup: 'WINDOWS'}),
    overlap: Flags.integer({description: 'Frames shared by consecutive windows, cross-faded so long videos do not jump at clip boundaries. Default: half a window for models that declare window-normalised inference (the bundled model), 0 (infer_wild\'s clips) for official checkpoints.', min: 0, helpGroup: 'WINDOWS'}),
    smooth: Flags.string({description: 'Temporal filter on the 3D output: one-euro (adaptive low-pass, uses --fps) or savgol (Savitzky-Golay, window 9, order 2).', options: ['one-euro', 'savgol'], helpGroup: 'OUTPUT'}),
    skeleton: Flags.string({description: 'raw: the network output as it is; rigid: fit each person\'s bone lengths over the track (per-bone median over the frames) and write a constant-length skeleton with the same bone directions (BVH output always uses this fit).', options: ['raw', 'rigid'], default: 'raw', helpGroup: 'OUTPUT'}),
    fps: Flags.string({description: 'Frames per second of the video (BVH frame time, one-euro smoothing, animations); default 30 where needed.', helpGroup: 'OUTPUT'}),
    render: Flags.string({description: 'Also draw the result: .png contact sheet, .gif / .webp animation (2D input beside 3D output), or .html interactive 3D viewer (self-contained; all people on one page). Video input: .mp4, .gif or .webp of the video with the 2D skeletons, beside the 3D view.', helpGroup: 'OUTPUT'}),
    detector: Flags.string({description: 'Video input: the bundled 2D detector. multipose (default): every person, one pass per frame; lightning: one person, fastest.', options: [...DETECTOR_NAMES], helpGroup: 'VIDEO'}),
    'detector-size': Flags.integer({description: 'Video input, multipose: the longer side of the detector input in pixels (a multiple of 32; default 256). Larger finds people who are small in the frame (a sports court), at about the square of the cost.', helpGroup: 'VIDEO'}),
    'save-2d': Flags.string({description: 'Video input: also write the tracked 2D as AlphaPose JSON (motion predict reads it back to the same 3D).', helpGroup: 'VIDEO'}),
    'max-frames': Flags.integer({description: 'Video input: decode at most this many frames.', min: 1, helpGroup: 'VIDEO'}),
    ffmpeg: Flags.string({description: 'Video input: the ffmpeg binary (default: $MOTION_FFMPEG, else ffmpeg on PATH, else the one installed with motion).', helpGroup: 'VIDEO'}),
    stream: Flags.boolean({description: 'Live mode: NDJSON 2D frames on stdin ({"frame": N, "people": [{"id": 1, "keypoints": [[x, y, score], ...]}]}), one NDJSON line of 3D per frame on stdout, flushed per line. --clip-len sets the window.', default: false, helpGroup: 'STREAM'}),
    latency: Flags.integer({description: 'With --stream: frames of look-ahead. Frame N is answered when frame N + latency arrives: more look-ahead is more accurate and later (docs/streaming.md).', min: 0, default: 0, helpGroup: 'STREAM'}),
    layout: Flags.string({description: 'With --stream: joint layout of the keypoints (auto: by count, 17 = COCO-17, 26 = Halpe-26).', options: [...STREAM_LAYOUT_OPTIONS], default: 'auto', helpGroup: 'STREAM'}),
    ...engineFlags,
  }

  async run(): Promise<Record<string, unknown> | undefined> {
    const {args, flags} = await this.parse(Predict)
    const [api, {defaultOutput}, {progressBar}, {inputError}, {planLines, resultLines}] = await Promise.all([
      import('../predict/api.js'),
      import('../tasks/outputs.js'),
      import('../ui/progress.js'),
      import('../core/errors.js'),
      import('../cli/predict-report.js'),
    ])
    const model = modelRequestFrom(flags)
    const onWarning = (w: string): void => this.note(`warning: ${w}`)
    if (flags.stream) {
      if (args.input !== undefined) throw inputError('--stream reads NDJSON frames from stdin, not from a file', {hint: `pipe it in: motion predict --stream < ${args.input}`})
      const unused = (['out', 'render', 'format', 'person', 'smooth', 'fps'] as const).filter((f) => flags[f] !== undefined)
      if (flags['all-people']) unused.push('all-people' as never)
      if ((flags.overlap ?? 0) > 0) unused.push('overlap' as never)
      if (flags.task !== DEFAULT_TASK) unused.push('task' as never)
      if (unused.length) throw inputError(`--${unused.join(', --')} ${unused.length === 1 ? 'does' : 'do'} not apply to --stream (every person is lifted; 3D goes to stdout)`, {hint: 'drop them, or run predict on a file'})
      const {withStdio} = await import('../predict/stream/stdio.js')
      const summary = await withStdio((lines, write) =>
        api.predictStream({...model, latency: flags.latency, layout: flags.layout as StreamRequest['layout']}, lines, write, {
          onWarning,
          onReady: (info) => this.note(`stream: ${info.model}, ${info.engine}; window ${info.window} frames, look-ahead ${info.latency}; 3D in ${info.units}; reading NDJSON frames from stdin`),
        }),
      )
      this.note(`stream: ${count(summary.frames, 'frame')} answered, ${count(summary.errors, 'error line')}, ${count(summary.people.length, 'person', 'people')} seen`)
      // one line, so stdout stays NDJSON (oclif would pretty-print a returned object over many lines)
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({summary})}\n`)
      return undefined
    }
    if (flags.latency > 0 || flags.layout !== 'auto') throw inputError('--latency and --layout apply to --stream only', {hint: 'add --stream, or drop them'})
    if (args.input === undefined) throw inputError('predict needs an input file (or --stream to read NDJSON frames from stdin)', {hint: 'e.g. motion predict alphapose-results.json --out walk.json'})
    // Ctrl-C: stop at the next frame or window and remove what was written; a second one exits at once.
    const abort = new AbortController()
    const onSigint = (): void => {
      if (abort.signal.aborted) process.exit(130)
      abort.abort()
    }
    process.on('SIGINT', onSigint)
    let videoBar: ReturnType<typeof progressBar> | undefined
    let bar: ReturnType<typeof progressBar> | undefined
    let offsets: number[] = []
    const showProgress = process.stderr.isTTY === true && !this.jsonEnabled()
    const result = await api.predict(
      {
        ...model,
        input: args.input,
        out: flags.out ?? defaultOutput(args.input),
        format: flags.format as PredictRequest['format'],
        task: flags.task as PredictRequest['task'],
        person: flags.person,
        allPeople: flags['all-people'],
        overlap: flags.overlap,
        smooth: flags.smooth as PredictRequest['smooth'],
        skeleton: flags.skeleton as PredictRequest['skeleton'],
        fps: flags.fps === undefined ? undefined : Number(flags.fps),
        render: flags.render,
        detector: flags.detector as PredictRequest['detector'],
        detectorSize: flags['detector-size'],
        saveTwoD: flags['save-2d'],
        maxFrames: flags['max-frames'],
        ffmpeg: flags.ffmpeg,
        signal: abort.signal,
      },
      {
        onWarning,
        onVideoFrame: (p) => {
          if (showProgress && !videoBar) videoBar = progressBar(p.total)
          videoBar?.update(p.done, `${p.done}/${p.total} frames, ${p.fps.toFixed(1)} frames/s`)
        },
        onPlan: (plan) => {
          videoBar?.done()
          videoBar = undefined
          for (const line of planLines(plan)) this.info(line)
          const {windowsPerPerson} = plan
          offsets = windowsPerPerson.map((_, i) => windowsPerPerson.slice(0, i).reduce((a, b) => a + b, 0))
          const windows = windowsPerPerson.reduce((a, b) => a + b, 0)
          if (showProgress && windows >= LONG_INPUT_WINDOWS) bar = progressBar(windows)
        },
        onProgress: (p: PredictProgress) => bar?.update((offsets[p.personIndex] ?? 0) + p.window + 1, `person ${p.person}`),
      },
    ).finally(() => {
      videoBar?.done()
      bar?.done()
      process.off('SIGINT', onSigint)
    })
    for (const line of resultLines(result)) this.info(line)
    // The files hold the arrays; --json reports what was written (as before the library API).
    const {warnings: _warnings, ...report} = result
    return {...report, people: report.people.map(({pose3d: _p, mesh: _m, ...person}) => person)}
  }
}

/** Inputs needing at least this many model windows get a progress bar on a terminal. */
const LONG_INPUT_WINDOWS = 20
