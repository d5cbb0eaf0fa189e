/**
 * Self-contained page (no build step, no CDN: edge sites are often offline). Refreshes every 2 s. The
 * page loads without a key; its data needs one with scope `read`, which it asks for once and keeps in
 * the browser's localStorage (this origin only), sending it as `Authorization: Bearer`.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Epara</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5}.bad{color:#b00}.ok{color:#070}code{font-size:12px}small{color:#666}
#auth{background:#fff8e0;border:1px solid #e0c060;padding:8px 12px;margin:12px 0}#auth input{width:28em}
</style></head><body>
<h1>Epara <small id="at"></small></h1>
<p><a href="/docs">API docs</a> · JSON with the key: <code>/v1/functions</code> <code>/v1/devices</code> <code>/v1/placement</code> <code>/metrics</code> · <a href="#" id="forget">forget the key</a></p>
<form id="auth" hidden><b id="auth-why"></b><br>API key with scope <code>read</code> (e.g. <code>cat .epara/credentials/admin.key</code>, or <code>epara keys create --name dashboard --scope read</code>):
<input id="key" type="password" autocomplete="off" placeholder="epk_…"> <button>Use this key</button>
<br><small>Kept in this browser's localStorage for this page only.</small></form>
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
  refresh();
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
refresh(); setInterval(refresh, 2000);
</script></body></html>`;
