import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {CHECKPOINT_DESCRIPTION, CONFIG_DESCRIPTION, engineFlags} from '../cli/model-flags.js'
import type {PredictRequest} from '../predict/api.js'
import type {PredictProgress, PredictResult} from '../tasks/types.js'

export default class Predict extends BaseCommand {
  static override description = `Lift 2D keypoints from a detector to 3D motion, as MotionBERT's infer_wild does (same numbers), with more input formats and outputs.

Inputs (detected; --format overrides): AlphaPose results JSON, COCO keypoint results JSON, an OpenPose folder of *_keypoints.json, MediaPipe/BlazePose JSON, CSV, NPY/NPZ [T,17,2|3] in H36M-17 order.
Output by the extension of --out: .npy [T,17,3] (as X3D.npy), .json (per frame, joint names, units), .csv (long form), .bvh (Blender). 3D is in camera coordinates (x right, y down, z away), in [-1,1] units by default or pixels with --pixel.
With --all-people each person gets NAME.person-ID.EXT (the same for --render).`

  static override examples = [
    '<%= config.bin %> predict alphapose-results.json --out walk.npy',
    '<%= config.bin %> predict alphapose-results.json --pixel --video-size 1920x1080 --out walk.json --render walk.gif',
    '<%= config.bin %> predict keypoints.csv --all-people --out people.bvh --smooth one-euro --fps 30',
    '<%= config.bin %> predict run/ --format openpose --person 2 --overlap 27 --out run.csv',
    '<%= config.bin %> predict alphapose-results.json --task mesh --checkpoint FT_MB_release_MB_ft_pw3d/best_epoch.bin --out walk.glb --render walk.gif',
    '<%= config.bin %> predict alphapose-results.json --checkpoint best_epoch.bin --config configs/pose3d/MB_ft_h36m_global_lite.yaml --out x3d.npy --json',
  ]

  static override args = {
    input: Args.string({description: 'Keypoint file, or an OpenPose folder.', required: true}),
  }

  static override flags = {
    out: Flags.string({char: 'o', description: 'Output file: .npy, .json, .csv or .bvh (written atomically). With --task mesh: .npz or .json (SMPL parameters), .glb (animated mesh) or a folder (one .obj per frame). Default: INPUT-NAME.3d.json in the current folder.'}),
    format: Flags.string({
      description: 'Input format, when detection is not wanted.',
      options: ['alphapose', 'coco', 'openpose', 'mediapipe', 'csv', 'npy', 'npz'],
    }),
    task: Flags.string({description: 'What to predict.', options: ['pose3d', 'action', 'mesh'], default: 'pose3d'}),
    checkpoint: Flags.string({description: `${CHECKPOINT_DESCRIPTION} Default: the bundled model (models/pose3d).`, helpGroup: 'MODEL'}),
    config: Flags.string({description: CONFIG_DESCRIPTION, helpGroup: 'MODEL'}),
    person: Flags.string({description: "Person / track id to lift (infer_wild's --focus). Default: the longest track; the choice is reported.", helpGroup: 'PEOPLE'}),
    'all-people': Flags.boolean({description: 'Lift every person: one output per person, NAME.person-ID.EXT.', default: false, helpGroup: 'PEOPLE'}),
    pixel: Flags.boolean({description: 'Keep pixel scale (needs --video-size): the output is pixel-aligned instead of [-1,1].', default: false, helpGroup: 'WINDOWS'}),
    'video-size': Flags.string({description: 'Video WIDTHxHEIGHT in pixels, for --pixel (e.g. 1920x1080). MixSTE and Strided Transformer models need it (their official normalize_screen_coordinates) unless the keypoint file gives the image size.', helpGroup: 'WINDOWS'}),
    'clip-len': Flags.integer({description: "Frames per model call (the last clip shorter). Default: the config's clip_len, else the model's maxlen (243 for MotionBERT).", min: 1, helpGroup: 'WINDOWS'}),
    flip: Flags.boolean({description: 'Flip test-time augmentation (average with the mirrored input). On by default; --no-flip turns it off.', allowNo: true, helpGroup: 'WINDOWS'}),
    rootrel: Flags.boolean({description: "Root-relative output (pelvis at the origin). Default: the config's rootrel, else off (the first frame's root depth of each clip set to 0, as infer_wild).", allowNo: true, helpGroup: 'WINDOWS'}),
    overlap: Flags.integer({description: 'Frames shared by consecutive windows, blended so long videos do not jump at clip boundaries (0 = infer_wild).', min: 0, default: 0, helpGroup: 'WINDOWS'}),
    smooth: Flags.string({description: 'Temporal filter on the 3D output: one-euro (adaptive low-pass, uses --fps) or savgol (Savitzky-Golay, window 9, order 2).', options: ['one-euro', 'savgol'], helpGroup: 'OUTPUT'}),
    fps: Flags.string({description: 'Frames per second of the video (BVH frame time, one-euro smoothing, animations); default 30 where needed.', helpGroup: 'OUTPUT'}),
    render: Flags.string({description: 'Also draw the result: .png contact sheet, or .gif / .webp animation (2D input beside 3D output).', helpGroup: 'OUTPUT'}),
    ...engineFlags,
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Predict)
    const [{predict}, {defaultOutput}, {progressBar}] = await Promise.all([import('../predict/api.js'), import('../tasks/outputs.js'), import('../ui/progress.js')])
    let bar: ReturnType<typeof progressBar> | undefined
    let offsets: number[] = []
    const showProgress = process.stderr.isTTY === true && !this.jsonEnabled()
    const result = await predict(
      {
        input: args.input,
        out: flags.out ?? defaultOutput(args.input),
        format: flags.format as PredictRequest['format'],
        task: flags.task as PredictRequest['task'],
        checkpoint: flags.checkpoint,
        config: flags.config,
        person: flags.person,
        allPeople: flags['all-people'],
        pixel: flags.pixel,
        videoSize: flags['video-size'],
        clipLen: flags['clip-len'],
        flip: flags.flip,
        rootrel: flags.rootrel,
        overlap: flags.overlap,
        smooth: flags.smooth as PredictRequest['smooth'],
        fps: flags.fps === undefined ? undefined : Number(flags.fps),
        render: flags.render,
        engine: flags.engine as PredictRequest['engine'],
        backend: flags.backend as PredictRequest['backend'],
        threads: flags.threads,
      },
      {
        onWarning: (w) => this.note(`warning: ${w}`),
        onPlan: ({data, selection, windowsPerPerson}) => {
          const people = data.people.length
          this.info(`input: ${data.file} (${data.format}, ${count(data.frameCount, 'frame')}, ${count(people, 'person', 'people')})`)
          for (const t of selection.tracks) this.info(`person ${t.id}: ${reasonText(selection.reason)}; detected in ${count(t.detectedFrames, 'frame')}, ${t.filledFrames} filled by interpolation (confidence 0)${t.duplicateFrames ? `, ${t.duplicateFrames} with duplicate detections (best score kept)` : ''}`)
          if (selection.others.length) this.info(`other tracks: ${selection.others.slice(0, 8).map((o) => `${o.id} (${count(o.frames, 'frame')})`).join(', ')}${selection.others.length > 8 ? `, and ${selection.others.length - 8} more` : ''}; choose one with --person ID or use --all-people`)
          if (selection.skipped.length) this.info(`skipped (no confident keypoint): ${selection.skipped.join(', ')}`)
          offsets = windowsPerPerson.map((_, i) => windowsPerPerson.slice(0, i).reduce((a, b) => a + b, 0))
          const windows = windowsPerPerson.reduce((a, b) => a + b, 0)
          if (showProgress && windows >= LONG_INPUT_WINDOWS) bar = progressBar(windows)
        },
        onProgress: (p: PredictProgress) => bar?.update((offsets[p.personIndex] ?? 0) + p.window + 1, `person ${p.person}`),
      },
    ).finally(() => bar?.done())

    this.info(`model: ${result.model.bundled ? 'bundled ' : ''}${result.model.path} (${result.model.backbone} + ${result.model.head})`)
    this.info(`engine: ${result.engine.name}${result.engine.backend ? ` (backend ${result.engine.backend})` : ''}${result.engine.threads ? ` (${result.engine.threads} threads)` : ''}: ${result.engine.reason}`)
    // MixSTE / Strided run their official windows on 2D normalised by the video size ('screen').
    const screen = result.options.mode === 'screen'
    const units =
      result.units === 'pixels'
        ? 'pixels (x, y aligned with the video; z in the same scale)'
        : result.units === 'mm'
          ? `mm (the ${result.model.backbone} model's ${result.model.outputUnits === 'metres' ? 'metres x 1000' : 'millimetres'}; 2D normalised by --video-size as its official code does)`
          : screen
            ? `normalised image units, as the ${result.model.backbone} model was trained here (x, y as the 2D input normalised by the video width: x / w * 2 - 1; z on the same scale)`
            : 'normalised [-1, 1] (the 2D track scaled to its box)'
    const root = result.rootRelative ? 'root-relative (pelvis at 0)' : "first frame's root depth of each clip set to 0"
    for (const p of result.people) {
      if (p.action) {
        // The answer first: the label, then each class's mean probability, highest first.
        this.info(`action: ${p.action.label}`)
        for (const [name, score] of Object.entries(p.action.scores).sort((a, b) => b[1] - a[1])) this.info(`  ${name.padEnd(12)} ${score.toFixed(3)}`)
        this.info(`wrote ${p.out}: person ${p.person}, ${count(p.frames, 'frame')} in ${count(p.action.windows.length, 'window')}, label ${p.action.label} (mean class probability over the windows)`)
      } else if (result.task === 'mesh') this.info(`wrote ${p.out}: person ${p.person}, ${count(p.frames, 'frame')}, SMPL mesh and parameters (vertices and joints in mm; meshes in metres, y up)`)
      else this.info(`wrote ${p.out}: person ${p.person}, ${count(p.frames, 'frame')} x 17 joints, units ${units}, camera coordinates (x right, y down, z away), ${root}`)
      if (p.render) this.info(`wrote ${p.render}`)
    }
    // The files hold the arrays; --json reports what was written (as before the library API).
    const {warnings: _warnings, ...report} = result
    return {...report, people: report.people.map(({pose3d: _p, mesh: _m, ...person}) => person)}
  }
}

/** Inputs needing at least this many model windows get a progress bar on a terminal. */
const LONG_INPUT_WINDOWS = 20

function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`
}

function reasonText(reason: PredictResult['reason']): string {
  return reason === 'requested' ? 'chosen with --person' : reason === 'longest' ? 'the longest track (default)' : 'one of all people (--all-people)'
}
