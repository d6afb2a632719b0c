/** Checkpoint reading and writing: PyTorch zip/legacy files, safetensors, and state dicts. */
export * from './pickle/unpickler.js'
export * from './torch.js'
export * from './state-dict.js'
export * from './safetensors.js'
export {ZipArchive, buildZip, looksLikeZip, type ZipEntry, type ZipInput} from './zip.js'
