/**
 * The viewer's script, run in the browser as a module. It receives THREE and OrbitControls (loaded
 * from the page's inline copies) and the page data (PageData, see scene.ts), and draws:
 *  - left: the 2D input of the current frame (pixels, fitted once to the whole sequence);
 *  - right: the 3D skeletons (bones as cylinders, joints as spheres; left side blue, right side
 *    red, centre grey), optional mesh surfaces, a ground grid under the lowest ankle, orbit / zoom /
 *    pan with the mouse;
 *  - controls: play / pause (space), frame slider (← → step), speed.
 * Display axes: camera x right, y down, z away → three.js (x, −y, −z), so y is up and the initial
 * view looks from the video's camera, turned a little and raised.
 * window.motionViewer exposes {frames, frame, setFrame(n), play(), pause(), ready} for tests.
 * Kept free of backticks and "${" so it can live in a TypeScript template.
 */
export const PAGE_SCRIPT = String.raw`
function decodeQ(q) {
  var bin = atob(q.b64);
  var bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  var codes = new Int16Array(bytes.buffer);
  var out = new Float32Array(codes.length);
  for (var k = 0; k < codes.length; k++) out[k] = codes[k] === -32768 ? NaN : q.min + (codes[k] + 32767) * q.step;
  return out;
}
function decodeBytes(b64) {
  var bin = atob(b64);
  var bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}
var COLORS = {left: 0x1f6fd1, right: 0xd63a2f, centre: 0x555555};
var CSS = {left: '#1f6fd1', right: '#d63a2f', centre: '#555555'};

function startViewer(THREE, OrbitControls, D) {
  var J = D.joints.length;
  var T = D.frames;
  var side = new Array(J).fill('centre');
  D.left.forEach(function (j) { side[j] = 'left'; });
  D.right.forEach(function (j) { side[j] = 'right'; });
  var boneSide = D.bones.map(function (b) { return side[b[1]] === 'centre' ? side[b[0]] : side[b[1]]; });

  var people = D.people.map(function (p) {
    var x3d = decodeQ(p.x3d);
    // display coordinates (x, -y, -z)
    for (var i = 0; i < x3d.length; i += 3) { x3d[i + 1] = -x3d[i + 1]; x3d[i + 2] = -x3d[i + 2]; }
    var mesh = null;
    if (p.mesh) {
      var v = decodeQ(p.mesh.verts);
      for (var k = 0; k < v.length; k += 3) { v[k + 1] = -v[k + 1]; v[k + 2] = -v[k + 2]; }
      var fb = decodeBytes(p.mesh.faces);
      mesh = {step: p.mesh.frameStep, verts: v, faces: new Uint32Array(fb.buffer), V: p.mesh.verts.shape[1]};
    }
    return {id: p.id, x3d: x3d, x2d: p.x2d ? decodeQ(p.x2d) : null, conf: p.conf ? decodeBytes(p.conf) : null, mesh: mesh};
  });

  // ---- extent of the 3D motion: centre, size, ground level ----
  var lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  var ground = Infinity;
  var ankles = D.joints.map(function (n, j) { return /ankle|foot/i.test(n) ? j : -1; }).filter(function (j) { return j >= 0; });
  people.forEach(function (p) {
    for (var i = 0; i < p.x3d.length; i += 3) {
      for (var c = 0; c < 3; c++) { var val = p.x3d[i + c]; if (val === val) { if (val < lo[c]) lo[c] = val; if (val > hi[c]) hi[c] = val; } }
      var j = (i / 3) % J;
      if (ankles.indexOf(j) >= 0 && p.x3d[i + 1] < ground) ground = p.x3d[i + 1];
    }
    if (p.mesh) {
      for (var k = 0; k < p.mesh.verts.length; k += 3) {
        for (var c2 = 0; c2 < 3; c2++) { var mv = p.mesh.verts[k + c2]; if (mv === mv) { if (mv < lo[c2]) lo[c2] = mv; if (mv > hi[c2]) hi[c2] = mv; } }
        if (p.mesh.verts[k + 1] < ground) ground = p.mesh.verts[k + 1];
      }
    }
  });
  if (!(lo[0] <= hi[0])) { lo = [-1, -1, -1]; hi = [1, 1, 1]; }
  if (!(ground < Infinity)) ground = lo[1];
  var centre = new THREE.Vector3((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2);
  var size = Math.max(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]) || 1;
  var height = Math.max(hi[1] - lo[1], 1e-6);
  // grid cell: a round number near a tenth of the figure's span
  var raw = size / 8, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  var cell = [1, 2, 5, 10].map(function (m) { return m * mag; }).filter(function (c) { return c >= raw; })[0];
  var cells = Math.max(10, 2 * Math.ceil(size / cell));

  // ---- 3D scene ----
  var canvas3d = document.getElementById('view3d');
  var renderer = new THREE.WebGLRenderer({canvas: canvas3d, antialias: true, preserveDrawingBuffer: true});
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  var scene = new THREE.Scene();
  scene.background = new THREE.Color(0xffffff);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x888888, 2.2));
  var sun = new THREE.DirectionalLight(0xffffff, 1.2);
  sun.position.set(1, 2, 3);
  scene.add(sun);
  var grid = new THREE.GridHelper(cell * cells, cells, 0x999999, 0xdddddd);
  grid.position.set(centre.x, ground, centre.z);
  scene.add(grid);
  var camera = new THREE.PerspectiveCamera(40, 1, size / 100, size * 100);
  var turn = 0.5, dist = size * 2.2;
  camera.position.set(centre.x + Math.sin(turn) * dist, centre.y + height * 0.4, centre.z + Math.cos(turn) * dist);
  var controls = new OrbitControls(camera, canvas3d);
  controls.target.copy(centre);
  controls.update();
  controls.addEventListener('change', draw3d);

  var radius = size / 90;
  var materials = {
    left: new THREE.MeshLambertMaterial({color: COLORS.left}),
    right: new THREE.MeshLambertMaterial({color: COLORS.right}),
    centre: new THREE.MeshLambertMaterial({color: COLORS.centre})
  };
  var sphere = new THREE.SphereGeometry(radius * 1.6, 12, 8);
  var cylinder = new THREE.CylinderGeometry(radius, radius, 1, 10);
  cylinder.translate(0, 0.5, 0);
  var up = new THREE.Vector3(0, 1, 0), a = new THREE.Vector3(), b = new THREE.Vector3(), d = new THREE.Vector3();
  people.forEach(function (p) {
    p.group = new THREE.Group();
    p.joints = [];
    for (var j = 0; j < J; j++) { var s = new THREE.Mesh(sphere, materials[side[j]]); p.joints.push(s); p.group.add(s); }
    p.bones = D.bones.map(function (bn, i) { var m = new THREE.Mesh(cylinder, materials[boneSide[i]]); p.group.add(m); return m; });
    if (p.mesh) {
      var g = new THREE.BufferGeometry();
      p.meshPositions = new THREE.BufferAttribute(new Float32Array(p.mesh.V * 3), 3);
      g.setAttribute('position', p.meshPositions);
      g.setIndex(new THREE.BufferAttribute(p.mesh.faces, 1));
      p.meshGeometry = g;
      p.meshObject = new THREE.Mesh(g, new THREE.MeshLambertMaterial({color: 0x96b0d6, side: THREE.DoubleSide, transparent: true, opacity: 0.75}));
      p.group.add(p.meshObject);
      p.meshFrame = -1;
    }
    scene.add(p.group);
  });

  function setPose(p, t) {
    var base = t * J * 3;
    var any = false;
    for (var j = 0; j < J; j++) {
      var x = p.x3d[base + j * 3];
      var ok = x === x;
      p.joints[j].visible = ok;
      if (ok) { any = true; p.joints[j].position.set(x, p.x3d[base + j * 3 + 1], p.x3d[base + j * 3 + 2]); }
    }
    D.bones.forEach(function (bn, i) {
      var m = p.bones[i];
      a.set(p.x3d[base + bn[0] * 3], p.x3d[base + bn[0] * 3 + 1], p.x3d[base + bn[0] * 3 + 2]);
      b.set(p.x3d[base + bn[1] * 3], p.x3d[base + bn[1] * 3 + 1], p.x3d[base + bn[1] * 3 + 2]);
      d.subVectors(b, a);
      var len = d.length();
      m.visible = len === len && len > 0;
      if (!m.visible) return;
      m.position.copy(a);
      m.scale.set(1, len, 1);
      m.quaternion.setFromUnitVectors(up, d.divideScalar(len));
    });
    if (p.mesh) {
      var mf = Math.min(Math.floor(t / p.mesh.step), p.mesh.verts.length / (p.mesh.V * 3) - 1);
      if (mf !== p.meshFrame) {
        p.meshPositions.array.set(p.mesh.verts.subarray(mf * p.mesh.V * 3, (mf + 1) * p.mesh.V * 3));
        p.meshPositions.needsUpdate = true;
        p.meshGeometry.computeVertexNormals();
        p.meshGeometry.computeBoundingSphere();
        p.meshFrame = mf;
      }
    }
    p.group.visible = any;
  }

  // ---- 2D panel ----
  var canvas2d = document.getElementById('view2d');
  var has2d = people.some(function (p) { return p.x2d; });
  if (!has2d) canvas2d.parentElement.style.display = 'none';
  var box2d = null;
  if (has2d) {
    if (D.imageSize) box2d = [0, 0, D.imageSize[0], D.imageSize[1]];
    else {
      var b2 = [Infinity, Infinity, -Infinity, -Infinity];
      people.forEach(function (p) {
        if (!p.x2d) return;
        for (var i = 0; i < p.x2d.length; i += 2) {
          if (p.conf && p.conf[i / 2] === 0) continue;
          var x = p.x2d[i], y = p.x2d[i + 1];
          if (x === x && y === y) { b2[0] = Math.min(b2[0], x); b2[1] = Math.min(b2[1], y); b2[2] = Math.max(b2[2], x); b2[3] = Math.max(b2[3], y); }
        }
      });
      var m2 = 0.08 * Math.max(b2[2] - b2[0], b2[3] - b2[1], 1);
      box2d = b2[0] <= b2[2] ? [b2[0] - m2, b2[1] - m2, b2[2] + m2, b2[3] + m2] : [0, 0, 1, 1];
    }
  }
  function draw2d(t) {
    if (!has2d) return;
    var ctx = canvas2d.getContext('2d');
    var W = canvas2d.width, H = canvas2d.height;
    ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, W, H);
    var s = Math.min(W / (box2d[2] - box2d[0]), H / (box2d[3] - box2d[1]));
    var ox = (W - s * (box2d[2] - box2d[0])) / 2 - s * box2d[0], oy = (H - s * (box2d[3] - box2d[1])) / 2 - s * box2d[1];
    ctx.strokeStyle = '#d8d8d8'; ctx.lineWidth = 1;
    ctx.strokeRect(ox + s * box2d[0], oy + s * box2d[1], s * (box2d[2] - box2d[0]), s * (box2d[3] - box2d[1]));
    var lw = Math.max(2, W / 160);
    people.forEach(function (p) {
      if (!p.x2d) return;
      var base = t * J;
      function pt(j) { return [ox + s * p.x2d[(base + j) * 2], oy + s * p.x2d[(base + j) * 2 + 1]]; }
      function alpha(j) { return p.conf ? 0.25 + 0.75 * p.conf[base + j] / 255 : 1; }
      if (p.conf) { var seen = false; for (var j0 = 0; j0 < J; j0++) if (p.conf[base + j0] > 0) seen = true; if (!seen) return; }
      ctx.lineWidth = lw; ctx.lineCap = 'round';
      D.bones.forEach(function (bn, i) {
        var P = pt(bn[0]), Q = pt(bn[1]);
        if (!(P[0] === P[0] && Q[0] === Q[0])) return;
        ctx.globalAlpha = Math.min(alpha(bn[0]), alpha(bn[1]));
        ctx.strokeStyle = CSS[boneSide[i]];
        ctx.beginPath(); ctx.moveTo(P[0], P[1]); ctx.lineTo(Q[0], Q[1]); ctx.stroke();
      });
      for (var j = 0; j < J; j++) {
        var P = pt(j);
        if (!(P[0] === P[0])) continue;
        ctx.globalAlpha = alpha(j); ctx.fillStyle = CSS[side[j]];
        ctx.beginPath(); ctx.arc(P[0], P[1], lw * 1.2, 0, 2 * Math.PI); ctx.fill();
      }
      ctx.globalAlpha = 1;
      var head = pt(D.joints.length > 10 ? 10 : 0);
      if (people.length > 1 && head[0] === head[0]) { ctx.fillStyle = '#333'; ctx.font = '12px sans-serif'; ctx.fillText('person ' + p.id, head[0] + 6, head[1] - 6); }
    });
  }

  // ---- playback ----
  var slider = document.getElementById('frame');
  var label = document.getElementById('frame-label');
  var playButton = document.getElementById('play');
  var speed = document.getElementById('speed');
  slider.max = String(T - 1);
  var frame = 0, playing = false, ticking = false, last = 0, carry = 0;
  function draw3d() { renderer.render(scene, camera); }
  function show(t) {
    frame = Math.max(0, Math.min(T - 1, Math.round(t)));
    slider.value = String(frame);
    label.textContent = 'frame ' + frame + ' / ' + (T - 1) + ' \u00b7 ' + (frame / D.fps).toFixed(2) + ' s';
    people.forEach(function (p) { setPose(p, frame); });
    draw2d(frame);
    draw3d();
    window.motionViewer.frame = frame;
  }
  function resize() {
    var host = canvas3d.parentElement;
    var w = host.clientWidth, h = host.clientHeight;
    renderer.setSize(w, h, false);
    camera.aspect = w / Math.max(1, h);
    camera.updateProjectionMatrix();
    var host2 = canvas2d.parentElement;
    canvas2d.width = host2.clientWidth; canvas2d.height = host2.clientHeight;
    show(frame);
  }
  // Animation frames are asked for only while playing: a paused page draws on input alone, so an
  // idle tab costs no CPU (a frame loop kept running cost 0.7 of a core under software WebGL).
  function tick(now) {
    if (!playing) { ticking = false; return; }
    carry += (now - last) / 1000 * D.fps * Number(speed.value);
    var steps = Math.floor(carry);
    if (steps > 0) { carry -= steps; show((frame + steps) % T); }
    last = now;
    requestAnimationFrame(tick);
  }
  function setPlaying(on) {
    playing = on; playButton.textContent = on ? 'Pause' : 'Play'; carry = 0;
    if (on && !ticking) { ticking = true; requestAnimationFrame(function (now) { last = now; tick(now); }); }
  }
  playButton.addEventListener('click', function () { setPlaying(!playing); });
  slider.addEventListener('input', function () { setPlaying(false); show(Number(slider.value)); });
  window.addEventListener('keydown', function (e) {
    if (e.target && e.target.tagName === 'SELECT') return;
    if (e.code === 'Space') { e.preventDefault(); setPlaying(!playing); }
    else if (e.code === 'ArrowRight') show(Math.min(T - 1, frame + 1));
    else if (e.code === 'ArrowLeft') show(Math.max(0, frame - 1));
  });
  window.addEventListener('resize', resize);
  document.getElementById('grid-label').textContent = 'grid cell ' + Number(cell.toPrecision(3)) + ' ' + D.unitLabel;
  window.motionViewer = {frames: T, frame: 0, setFrame: show, play: function () { setPlaying(true); }, pause: function () { setPlaying(false); }, ready: false};
  resize();
  window.motionViewer.ready = true;
  document.body.dataset.ready = '1';
}
`
