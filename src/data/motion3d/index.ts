/** 3D motion data: clip files and folders, resampling, windowing and the windowed dataset. */
export type {ClipSet, ClipSpace, MotionClip} from './clip.js'
export {frameCount} from './clip.js'
export {readClipFolder, type ReadClipFolderOptions} from './clip-folder.js'
export {CLIP_EXTENSIONS, checkPoseArray, type ClipFileContents, readClipFile, readMotionbertClipPickle} from './readers.js'
export {resampledLength, resampleFps, resampleIndices, type ResampleOptions, takeFrames} from './resample.js'
export {clipWindows, windowCount} from './windows.js'
export {Motion3dDataset, type Motion3dDatasetOptions, type Motion3dWindow, type WindowRef} from './dataset.js'
