/**
 * ffmpeg as a subprocess: finding the binary, reading a video's size and frame rate, and decoding
 * frames as raw RGB piped to us. Scaling happens inside ffmpeg's filter graph, so a 1080p video
 * costs a 1080p decode but only a detector-sized frame crosses the pipe.
 *
 * The binary: --ffmpeg PATH, else $MOTION_FFMPEG, else `ffmpeg` on PATH, else the static build of
 * the optional npm dependency @ffmpeg-installer/ffmpeg (ffmpeg 4.1, installs offline).
 */
import {spawn, type ChildProcessByStdio} from 'node:child_process'
import {existsSync} from 'node:fs'
import type {Readable} from 'node:stream'

import {inputError} from '../../core/errors.js'

export const FFMPEG_ENV = 'MOTION_FFMPEG'

export interface FfmpegBinary {
  path: string
  /** Where it came from: the flag, the environment variable, PATH, or the npm package. */
  source: 'flag' | 'env' | 'path' | 'npm'
}

/** The ffmpeg to run. An input error (exit 2) with an install hint when there is none. */
export async function resolveFfmpeg(explicit?: string, env: NodeJS.ProcessEnv = process.env): Promise<FfmpegBinary> {
  const missing = (where: string): never => {
    throw inputError(`ffmpeg not found (${where}); it decodes the video`, {
      hint: `install it (Debian/Ubuntu: apt-get install ffmpeg), reinstall motion with its optional dependencies, or give its path with --ffmpeg PATH or ${FFMPEG_ENV}`,
    })
  }
  if (explicit !== undefined) return (await runs(explicit)) ? {path: explicit, source: 'flag'} : missing(`--ffmpeg ${explicit} does not run`)
  const fromEnv = env[FFMPEG_ENV]
  if (fromEnv) return (await runs(fromEnv)) ? {path: fromEnv, source: 'env'} : missing(`${FFMPEG_ENV}=${fromEnv} does not run`)
  if (await runs('ffmpeg')) return {path: 'ffmpeg', source: 'path'}
  const bundled = await npmFfmpeg()
  if (bundled && (await runs(bundled))) return {path: bundled, source: 'npm'}
  return missing('not on PATH, and the optional package @ffmpeg-installer/ffmpeg is not installed')
}

async function npmFfmpeg(): Promise<string | undefined> {
  try {
    const spec: string = '@ffmpeg-installer/ffmpeg' // a variable: the optional package may be absent
    const mod = (await import(spec)) as {default?: {path?: string}; path?: string}
    const p = mod.default?.path ?? mod.path
    return p && existsSync(p) ? p : undefined
  } catch {
    return undefined
  }
}

const checked = new Map<string, boolean>()

/** Whether `bin -version` starts and exits 0 (cached per path). */
async function runs(bin: string): Promise<boolean> {
  const known = checked.get(bin)
  if (known !== undefined) return known
  const ok = await new Promise<boolean>((resolve) => {
    const child = spawn(bin, ['-hide_banner', '-version'], {stdio: 'ignore'})
    child.on('error', () => resolve(false))
    child.on('close', (code) => resolve(code === 0))
  })
  checked.set(bin, ok)
  return ok
}

export interface VideoInfo {
  width: number
  height: number
  fps: number
  /** Frames, from the container's duration x fps (an estimate: the decode counts the real number). */
  frameEstimate: number
  codec: string
}

/**
 * Reads the first video stream's size, frame rate and duration from `ffmpeg -i` (ffprobe is not in
 * every build). Not a video, or no video stream: an input error naming the file.
 */
export async function probeVideo(ffmpeg: string, file: string): Promise<VideoInfo> {
  const {stderr} = await run(ffmpeg, ['-hide_banner', '-i', file])
  const stream = /Stream #\d+:\d+[^:]*: Video: ([^\s,]+)[^\n]*?, (\d{2,5})x(\d{2,5})[ ,][^\n]*/.exec(stderr)
  if (!stream) {
    const reason = /Invalid data found|could not find codec|moov atom not found|End of file/i.exec(stderr)?.[0]
    throw inputError(`is not a video ffmpeg can read${reason ? ` (${reason.toLowerCase()})` : ' (no video stream)'}`, {
      file,
      hint: 'give an mp4, mov, avi, webm or mkv video, a folder of images, or a 2D keypoint file',
    })
  }
  const line = stream[0]
  // tbr (the stream's nominal rate) before fps (the average over the container's duration)
  const fps = Number(/, ([\d.]+) tbr/.exec(line)?.[1] ?? /, ([\d.]+) fps/.exec(line)?.[1] ?? 30)
  const d = /Duration: (\d+):(\d+):([\d.]+)/.exec(stderr)
  const seconds = d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : 0
  return {width: Number(stream[2]), height: Number(stream[3]), fps: fps > 0 ? fps : 30, frameEstimate: Math.max(1, Math.round(seconds * (fps > 0 ? fps : 30))), codec: stream[1]!}
}

function run(bin: string, args: readonly string[]): Promise<{code: number; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args], {stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 200_000) stderr += d.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? -1, stderr}))
  })
}

export interface DecodeOptions {
  /** Output frame size: the video scaled to scaledWidth x scaledHeight, padded (right, bottom) to width x height. */
  width: number
  height: number
  scaledWidth: number
  scaledHeight: number
  /** Stop after this many frames. */
  maxFrames?: number
}

/**
 * Decodes `file` to raw RGB frames (each decoded frame once: -vsync 0, so ffmpeg neither duplicates
 * nor drops frames to fit a constant rate) of width x height x 3 bytes, yielded one at a time. Stopping the
 * iteration early (break, an error, an abort) kills ffmpeg. A decode that fails midway is an input
 * error with ffmpeg's last line.
 */
export async function* decodeFrames(ffmpeg: string, file: string, o: DecodeOptions): AsyncGenerator<Uint8Array> {
  const filter = `scale=${o.scaledWidth}:${o.scaledHeight}:flags=bilinear,pad=${o.width}:${o.height}:0:0:black`
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', file, '-an', '-sn', '-vf', filter, '-vsync', '0', ...(o.maxFrames ? ['-frames:v', String(o.maxFrames)] : []), '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1']
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(ffmpeg, args, {stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 20_000) stderr += d.toString()
  })
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve(code ?? -1))
  })
  const frameBytes = o.width * o.height * 3
  let pending: Buffer[] = []
  let pendingBytes = 0
  let finished = false
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      pending.push(chunk)
      pendingBytes += chunk.length
      while (pendingBytes >= frameBytes) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending)
        const frame = new Uint8Array(frameBytes)
        frame.set(all.subarray(0, frameBytes))
        const rest = all.subarray(frameBytes)
        pending = rest.length ? [rest] : []
        pendingBytes = rest.length
        yield frame
      }
    }
    const code = await exited
    finished = true
    if (code !== 0) {
      const last = stderr.trim().split('\n').at(-1) ?? `exit ${code}`
      throw inputError(`ffmpeg could not decode the video: ${last}`, {file})
    }
  } finally {
    if (!finished) {
      child.kill('SIGKILL')
      await exited.catch(() => undefined)
    }
  }
}
