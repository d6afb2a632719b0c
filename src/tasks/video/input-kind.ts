/**
 * Is a predict input a video (by extension) or a folder of images (images and no JSON)? Cheap:
 * no decoder or model is loaded, so keypoint inputs pay nothing for video support.
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'

/** Video file extensions `motion predict` decodes with ffmpeg. */
export const VIDEO_EXTENSIONS = ['.mp4', '.mov', '.avi', '.webm', '.mkv', '.m4v'] as const
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff'] as const

export function hasVideoExtension(file: string): boolean {
  return (VIDEO_EXTENSIONS as readonly string[]).includes(path.extname(file).toLowerCase())
}

export function isImageName(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(name).toLowerCase())
}

export async function isVideoInput(input: string): Promise<boolean> {
  if (hasVideoExtension(input)) return true
  const st = await fsp.stat(input).catch(() => undefined)
  if (!st?.isDirectory()) return false
  const names = await fsp.readdir(input)
  return names.some(isImageName) && !names.some((n) => n.toLowerCase().endsWith('.json'))
}
