/**
 * `--render out.html`: one self-contained page (three.js inline, no network) showing a ViewerScene.
 * Page layout: a header (title, units, legend), the 2D input beside the 3D view, and playback
 * controls. Written atomically.
 */
import {writeFileAtomic} from '../../formats/atomic.js'
import {PAGE_SCRIPT} from './page-script.js'
import {encodeScene, type EncodeOptions, type PageData, type ViewerScene} from './scene.js'
import {CORE_PLACEHOLDER, MODULE_PLACEHOLDER, threeSources} from './three-assets.js'

export interface HtmlRenderResult {
  file: string
  bytes: number
  frames: number
  people: number
  /** Every n-th frame carries a mesh (1 without meshes). */
  meshFrameStep: number
}

/** A value as a JavaScript literal that is safe inside <script> (no "</script", no "<!--"). */
export function scriptLiteral(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c')
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]!)
}

/** The page as text. */
export async function viewerHtml(scene: ViewerScene, opts: EncodeOptions = {}): Promise<{html: string; data: PageData}> {
  const data = encodeScene(scene, opts)
  const three = await threeSources()
  const legend = `<span class="sw" style="background:#1f6fd1"></span>left <span class="sw" style="background:#d63a2f"></span>right <span class="sw" style="background:#555"></span>centre`
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="motion (three.js r${escapeHtml(three.revision)} inline)">
<title>${escapeHtml(scene.title)}</title>
<style>
html,body{margin:0;height:100%;font:14px system-ui,sans-serif;color:#333;background:#fff}
body{display:flex;flex-direction:column}
header{padding:6px 12px;border-bottom:1px solid #ddd;display:flex;gap:18px;flex-wrap:wrap;align-items:center}
header h1{font-size:15px;margin:0}
.sw{display:inline-block;width:10px;height:10px;margin:0 3px 0 8px;border-radius:2px}
main{flex:1;display:flex;min-height:0}
.panel{flex:1;position:relative;min-width:0;border-right:1px solid #eee}
.panel canvas{position:absolute;inset:0;width:100%;height:100%;display:block}
.panel .tag{position:absolute;left:8px;top:6px;font-size:12px;color:#666;z-index:1;pointer-events:none}
footer{padding:6px 12px;border-top:1px solid #ddd;display:flex;gap:12px;align-items:center}
#frame{flex:1}
#error{color:#b00020;padding:8px 12px;display:none}
</style></head>
<body>
<header><h1>${escapeHtml(scene.title)}</h1><span>3D units: ${escapeHtml(scene.unitLabel)}</span><span id="grid-label"></span><span>${legend}</span><span>drag: orbit · wheel: zoom · right-drag: pan</span></header>
<div id="error"></div>
<main>
<div class="panel" id="panel2d"><span class="tag">2D input (pixels)</span><canvas id="view2d"></canvas></div>
<div class="panel" id="panel3d"><span class="tag">3D (${escapeHtml(scene.unitLabel)})</span><canvas id="view3d"></canvas></div>
</main>
<footer><button id="play" type="button">Play</button><input id="frame" type="range" min="0" max="0" value="0" step="1" aria-label="frame"><span id="frame-label"></span>
<label>speed <select id="speed"><option value="0.25">0.25×</option><option value="0.5">0.5×</option><option value="1" selected>1×</option><option value="2">2×</option><option value="4">4×</option></select></label></footer>
<script type="module">
const SOURCES = {core: ${scriptLiteral(three.core)}, module: ${scriptLiteral(three.module)}, orbit: ${scriptLiteral(three.orbitControls)}};
const DATA = ${scriptLiteral(data)};
${PAGE_SCRIPT}
const url = (text) => URL.createObjectURL(new Blob([text], {type: 'text/javascript'}));
try {
  const core = url(SOURCES.core);
  const mod = url(SOURCES.module.split(${scriptLiteral(CORE_PLACEHOLDER)}).join(core));
  const orbit = url(SOURCES.orbit.split(${scriptLiteral(MODULE_PLACEHOLDER)}).join(mod));
  const THREE = await import(mod);
  const {OrbitControls} = await import(orbit);
  startViewer(THREE, OrbitControls, DATA);
} catch (err) {
  const box = document.getElementById('error');
  box.style.display = 'block';
  box.textContent = 'The viewer could not start: ' + (err && err.message ? err.message : err) + ' (it needs a browser with WebGL2).';
  document.body.dataset.ready = 'error';
  throw err;
}
</script>
</body></html>
`
  return {html, data}
}

/** Writes the page for a scene (atomically). */
export async function renderHtml(scene: ViewerScene, file: string, opts: EncodeOptions = {}): Promise<HtmlRenderResult> {
  const {html, data} = await viewerHtml(scene, opts)
  await writeFileAtomic(file, html)
  return {file, bytes: Buffer.byteLength(html), frames: data.frames, people: data.people.length, meshFrameStep: data.people.find((p) => p.mesh)?.mesh?.frameStep ?? 1}
}
