/**
 * Self-contained page (no build step, no CDN: edge sites are often offline): the plots are drawn by
 * uPlot, which the gateway serves from its installed package (`/dashboard/uplot.js`). Refreshes every
 * 2 s: the plots fetch only the samples after the last one they have (`/v1/dashboard/series?since=`),
 * so they start with the gateway's whole history. The page loads without a key; its data needs one
 * with scope `read`, which it asks for once and keeps in the browser's localStorage (this origin
 * only), sending it as `Authorization: Bearer`. The plots are `window.eparaPlots` (uPlot instances).
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Epara</title>
<link rel="stylesheet" href="/dashboard/uplot.css"><script src="/dashboard/uplot.js"></script>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5}.bad{color:#b00}.ok{color:#070}code{font-size:12px}small{color:#666}
#auth{background:#fff8e0;border:1px solid #e0c060;padding:8px 12px;margin:12px 0}#auth input{width:28em}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:12px 24px}.plot h3{font-size:14px;margin:8px 0 0}
.plot p{margin:0 0 4px;color:#666;font-size:12px}#summary li{margin:2px 0}.uplot{font-family:inherit}
</style></head><body>
<h1>Epara <small id="at"></small></h1>
<p><a href="/docs">API docs</a> · JSON with the key: <code>/v1/dashboard/series</code> <code>/v1/functions</code> <code>/v1/devices</code> <code>/v1/placement</code> <code>/metrics</code> · <a href="#" id="forget">forget the key</a></p>
<form id="auth" hidden><b id="auth-why"></b><br>API key with scope <code>read</code> (e.g. <code>cat .epara/credentials/admin.key</code>, or <code>epara keys create --name dashboard --scope read</code>):
<input id="key" type="password" autocomplete="off" placeholder="epk_…"> <button>Use this key</button>
<br><small>Kept in this browser's localStorage for this page only.</small></form>
<h2>Now <small>(last 10 s at this gateway)</small></h2><ul id="summary"><li><small>waiting for the first samples…</small></li></ul>
<h2>Over time <small id="span"></small></h2>
<p><small>One sample every 2 s, kept 30 min by this gateway. Dashed vertical lines: placement changes.</small></p>
<div class="plots">
<div class="plot"><h3>Goodput and offered load, req/s</h3><p>solid: completed within the SLO (goodput); dashed: requests that reached this gateway; dotted: answered by the workers (all gateways, and NATS requests forwarded with direct reply)</p><div id="plot-goodput"></div></div>
<div class="plot"><h3>Within the SLO, %</h3><p>share of the requests whose outcome this gateway saw that completed within their SLO</p><div id="plot-slo"></div></div>
<div class="plot"><h3>Latency p50 · p95 · p99, ms</h3><p>end to end at this gateway, from its latency histogram (as Prometheus' histogram_quantile)</p><div id="plot-latency"></div></div>
<div class="plot"><h3>Queue depth, requests</h3><p>waiting in the workers' batchers, all devices together (heartbeats)</p><div id="plot-queue"></div></div>
<div class="plot"><h3>Batch size</h3><p>the largest batch the batchers run at once now (heartbeats)</p><div id="plot-batch"></div></div>
<div class="plot"><h3>Device utilization, %</h3><p>busy share of each device's last heartbeat interval</p><div id="plot-utilization"></div></div>
<div class="plot"><h3>Units per device</h3><p>functions (or pipeline stages) each device has loaded; steps follow placement changes</p><div id="plot-units"></div></div>
</div>
<h2>Placement changes</h2><table id="changes"></table>
<h2>Devices</h2><table id="devices"></table>
<h2>Functions</h2><table id="functions"></table>
<h2>Placement</h2><table id="placement"></table>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
function table(id, head, rows) {
  document.getElementById(id).innerHTML = '<tr>' + head.map((h) => '<th>' + h + '</th>').join('') + '</tr>' +
    (rows.length ? rows.map((r) => '<tr>' + r.map((c) => '<td>' + c + '</td>').join('') + '</tr>').join('') : '<tr><td colspan="' + head.length + '"><small>none</small></td></tr>');
}
const KEY_ITEM = 'epara-api-key';
const auth = document.getElementById('auth');
function askForKey(why) {
  document.getElementById('auth-why').textContent = why;
  auth.hidden = false;
}
auth.addEventListener('submit', (e) => {
  e.preventDefault();
  localStorage.setItem(KEY_ITEM, document.getElementById('key').value.trim());
  auth.hidden = true;
  tick();
});
document.getElementById('forget').addEventListener('click', (e) => {
  e.preventDefault();
  localStorage.removeItem(KEY_ITEM);
  askForKey('Key forgotten.');
});
async function getJson(url) {
  const key = localStorage.getItem(KEY_ITEM);
  const r = await fetch(url, { headers: key ? { Authorization: 'Bearer ' + key } : {} });
  const body = await r.json();
  if (r.status === 401 || r.status === 403) throw Object.assign(new Error(body.error?.message ?? 'HTTP ' + r.status), { auth: true });
  return body;
}
async function refresh() {
  if (!auth.hidden) return;
  try {
    const [d, f, p] = await Promise.all(['/v1/devices', '/v1/functions', '/v1/placement'].map(getJson));
    table('devices', ['device', 'state', 'provider', 'memory free / total', 'util', 'queued', 'running', 'functions'], d.devices.map((x) => [
      esc(x.device) + '<br><small>' + esc(x.slot) + ' on ' + esc(x.host) + '</small>',
      x.live ? '<span class="ok">live</span>' : '<span class="bad">lost (' + Math.round(x.ageMs / 1000) + ' s)</span>',
      esc(x.executionProvider) + (x.providerNote ? '<br><small>' + esc(x.providerNote) + '</small>' : ''),
      (x.memoryFreeBytes / 1e6).toFixed(0) + ' / ' + (x.memoryBytes / 1e6).toFixed(0) + ' MB',
      (x.utilization * 100).toFixed(0) + '%', x.queued, x.running,
      x.functions.map((l) => esc(l.fn) + ' <small>' + l.mode + (l.ready ? '' : ' ' + esc(l.state || 'loading')) + ', ' + (l.execMsEwma > 0 ? 'a run takes ' + (l.execMsEwma < 10 ? l.execMsEwma.toFixed(2) : l.execMsEwma.toFixed(0)) + ' ms' : 'no run yet') + '</small>' + (l.reason ? '<br><small class="bad">' + esc(l.reason) + '</small>' : '')).join('<br>')]));
    table('functions', ['name', 'kind', 'SLO', 'category → mode', 'reason', 'model'], f.functions.map((x) => [
      esc(x.name), esc(x.kind), x.slo.latencyMs + ' ms',
      esc(x.category.sensitivity) + ' × ' + esc(x.category.footprint) + ' → <b>' + esc(x.category.mode) + '</b>' + (x.category.provisional ? ' <small>(provisional: no worker has profiled it yet)</small>' : ''),
      '<small>' + esc(x.category.reason) + '</small>', '<code>' + esc(x.model.sha256.slice(0, 12)) + '</code> ' + (x.model.sizeBytes / 1e6).toFixed(1) + ' MB']));
    table('placement', ['device', 'assignments', 'reason'], p.placement.map((x) => [esc(x.device),
      x.assignments.map((a) => esc(a.fn) + ' <small>' + a.mode + ', batch ≤ ' + a.maxBatchSize + ', delay ≤ ' + a.maxQueueDelayMs + ' ms</small>').join('<br>'),
      '<small>' + esc(x.reason) + '</small>']));
    document.getElementById('at').textContent = new Date().toLocaleTimeString();
  } catch (e) {
    if (e.auth) askForKey(e.message);
    document.getElementById('at').textContent = 'refresh failed: ' + e.message;
  }
}
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
const plots = {};
window.eparaPlots = plots;
let samples = [], changes = [], lastSampleAt = 0, lastChangeAt = 0, capacity = 900;
const keysOf = (pick) => [...new Set(samples.flatMap((s) => Object.keys(pick(s))))].sort();
const pct = (v) => (v == null ? null : v * 100);
// Per plot: its series (label, colour index, dash, value of a sample) from the keys seen in the history.
const PERCENT_PLOTS = new Set(['slo', 'utilization']);
const PLOTS = {
  goodput: () => keysOf((s) => s.functions).filter((f) => !f.includes('#')).flatMap((f, i) => [
    { label: f + ' goodput', color: i, get: (s) => s.functions[f]?.goodputRps },
    { label: f + ' offered', color: i, dash: [6, 4], get: (s) => s.functions[f]?.offeredRps },
    { label: f + ' served', color: i, dash: [2, 3], get: (s) => s.functions[f]?.servedRps }]),
  slo: () => keysOf((s) => s.functions).filter((f) => !f.includes('#')).map((f, i) => ({ label: f, color: i, get: (s) => pct(s.functions[f]?.withinSlo) })),
  latency: () => keysOf((s) => s.functions).filter((f) => !f.includes('#')).flatMap((f, i) => [
    { label: f + ' p50', color: i, dash: [2, 3], get: (s) => s.functions[f]?.p50Ms },
    { label: f + ' p95', color: i, dash: [6, 4], get: (s) => s.functions[f]?.p95Ms },
    { label: f + ' p99', color: i, get: (s) => s.functions[f]?.p99Ms }]),
  queue: () => keysOf((s) => s.functions).map((f, i) => ({ label: f, color: i, get: (s) => s.functions[f]?.queued })),
  batch: () => keysOf((s) => s.functions).map((f, i) => ({ label: f, color: i, get: (s) => s.functions[f]?.batchSize })),
  utilization: () => keysOf((s) => s.devices).map((d, i) => ({ label: d, color: i, get: (s) => pct(s.devices[d]?.utilization) })),
  units: () => keysOf((s) => s.devices).map((d, i) => ({ label: d, color: i, get: (s) => s.devices[d]?.units })),
};
const round = (v) => (v == null ? '—' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
function markPlacementChanges(u) {
  const ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
  ctx.save(); ctx.strokeStyle = '#999'; ctx.setLineDash([4, 4]); ctx.lineWidth = 1;
  for (const c of changes) {
    const x = u.valToPos(c.at / 1000, 'x', true);
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
    ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
  }
  ctx.restore();
}
function drawPlots() {
  if (typeof uPlot === 'undefined') throw new Error('the plotting library did not load (/dashboard/uplot.js)');
  const xs = samples.map((s) => s.at / 1000);
  for (const [id, seriesOf] of Object.entries(PLOTS)) {
    const series = seriesOf();
    const data = [xs, ...series.map((x) => samples.map((s) => x.get(s) ?? null))];
    const el = document.getElementById('plot-' + id);
    const signature = series.map((x) => x.label).join('|');
    if (plots[id] && plots[id].signature === signature) { plots[id].setData(data); continue; }
    plots[id]?.destroy();
    const u = new uPlot({
      width: Math.max(300, el.clientWidth), height: 200,
      // From zero, so a small wobble does not fill the plot; shares on a 0–100 scale.
      scales: { x: { time: true }, y: { range: (_, min, max) => (PERCENT_PLOTS.has(id) ? [0, 100] : [0, max > 0 ? max * 1.1 : 1]) } },
      series: [{}, ...series.map((x) => ({ label: x.label, stroke: PALETTE[x.color % PALETTE.length], dash: x.dash, width: 1.5, value: (_, v) => round(v) }))],
      axes: [{}, { size: 56, values: (_, ticks) => ticks.map(round) }],
      hooks: { draw: [markPlacementChanges] },
    }, data, el);
    u.signature = signature;
    plots[id] = u;
  }
  if (samples.length) document.getElementById('span').textContent = '(' + new Date(samples[0].at).toLocaleTimeString() + ' – ' + new Date(samples[samples.length - 1].at).toLocaleTimeString() + ')';
}
window.addEventListener('resize', () => { for (const [id, u] of Object.entries(plots)) u.setSize({ width: Math.max(300, document.getElementById('plot-' + id).clientWidth), height: 200 }); });
async function refreshSeries() {
  const s = await getJson('/v1/dashboard/series?since=' + lastSampleAt);
  capacity = s.capacity;
  samples = samples.concat(s.samples).slice(-capacity);
  if (samples.length) lastSampleAt = samples[samples.length - 1].at;
  changes = changes.concat(s.placementChanges.filter((c) => c.at > lastChangeAt)).slice(-200);
  if (changes.length) lastChangeAt = changes[changes.length - 1].at;
  const fns = Object.entries(s.functions);
  document.getElementById('summary').innerHTML = fns.length
    ? fns.map(([f, x]) => '<li><b>' + esc(f) + '</b> <small>' + esc(x.mode) + ', SLO ' + x.sloMs + ' ms</small>: ' + esc(x.summary) + '</li>').join('')
    : '<li><small>no function deployed</small></li>';
  table('changes', ['time', 'device', 'added', 'removed', 'reason'], changes.slice(-20).reverse().map((c) => [
    new Date(c.at).toLocaleTimeString(), esc(c.device), esc(c.added.join(', ')), esc(c.removed.join(', ')), '<small>' + esc(c.reason) + '</small>']));
  drawPlots();
}
async function tick() {
  await refresh();
  if (auth.hidden) await refreshSeries().catch((e) => {
    if (e.auth) askForKey(e.message);
    document.getElementById('at').textContent = 'plots failed: ' + e.message;
  });
}
tick(); setInterval(tick, 2000);
</script></body></html>`;
