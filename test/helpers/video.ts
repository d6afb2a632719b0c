/** Shared by the video tests: the real clip, and small clips made from it (or from nothing) with ffmpeg. */
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {dataDir} from './paths.js'
import {resolveFfmpeg} from '../../src/tasks/video/ffmpeg.js'

/** Two people shaking hands; 1920x1080, 72 frames, 30 fps (mmaction2 demo, Apache-2.0). */
export const HANDSHAKE = path.join(dataDir, 'video-real', 'handshake.mp4')

/** Runs ffmpeg (the one motion would use) with `args`; throws with its message on failure. */
export async function ffmpegMake(args: string[]): Promise<void> {
  const bin = (await resolveFfmpeg()).path
  const r = spawnSync(bin, ['-hide_banner', '-loglevel', 'error', '-y', ...args], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr}`)
}
