/** Self-contained page (no build step, no CDN: edge sites are often offline). Refreshes every 2 s. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Epara</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5}.bad{color:#b00}.ok{color:#070}code{font-size:12px}small{color:#666}
</style></head><body>
<h1>Epara <small id="at"></small></h1>
<p><a href="/docs">API docs</a> · <a href="/metrics">metrics</a> · <a href="/v1/functions">functions JSON</a> · <a href="/v1/devices">devices JSON</a> · <a href="/v1/placement">placement JSON</a></p>
<h2>Devices</h2><table id="devices"></table>
<h2>Functions</h2><table id="functions"></table>
<h2>Placement</h2><table id="placement"></table>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
function table(id, head, rows) {
  document.getElementById(id).innerHTML = '<tr>' + head.map((h) => '<th>' + h + '</th>').join('') + '</tr>' +
    (rows.length ? rows.map((r) => '<tr>' + r.map((c) => '<td>' + c + '</td>').join('') + '</tr>').join('') : '<tr><td colspan="' + head.length + '"><small>none</small></td></tr>');
}
async function refresh() {
  try {
    const [d, f, p] = await Promise.all(['/v1/devices', '/v1/functions', '/v1/placement'].map((u) => fetch(u).then((r) => r.json())));
    table('devices', ['device', 'state', 'provider', 'memory free / total', 'util', 'queued', 'running', 'functions'], d.devices.map((x) => [
      esc(x.device) + '<br><small>' + esc(x.slot) + ' on ' + esc(x.host) + '</small>',
      x.live ? '<span class="ok">live</span>' : '<span class="bad">lost (' + Math.round(x.ageMs / 1000) + ' s)</span>',
      esc(x.executionProvider) + (x.providerNote ? '<br><small>' + esc(x.providerNote) + '</small>' : ''),
      (x.memoryFreeBytes / 1e6).toFixed(0) + ' / ' + (x.memoryBytes / 1e6).toFixed(0) + ' MB',
      (x.utilization * 100).toFixed(0) + '%', x.queued, x.running,
      x.functions.map((l) => esc(l.fn) + ' <small>' + l.mode + (l.ready ? '' : ' ' + esc(l.state || 'loading')) + ', ' + l.execMsEwma.toFixed(2) + ' ms</small>' + (l.reason ? '<br><small class="bad">' + esc(l.reason) + '</small>' : '')).join('<br>')]));
    table('functions', ['name', 'kind', 'SLO', 'category → mode', 'reason', 'model'], f.functions.map((x) => [
      esc(x.name), esc(x.kind), x.slo.latencyMs + ' ms',
      esc(x.category.sensitivity) + ' × ' + esc(x.category.footprint) + ' → <b>' + esc(x.category.mode) + '</b>' + (x.category.provisional ? ' <small>(provisional)</small>' : ''),
      '<small>' + esc(x.category.reason) + '</small>', '<code>' + esc(x.model.sha256.slice(0, 12)) + '</code> ' + (x.model.sizeBytes / 1e6).toFixed(1) + ' MB']));
    table('placement', ['device', 'assignments', 'reason'], p.placement.map((x) => [esc(x.device),
      x.assignments.map((a) => esc(a.fn) + ' <small>' + a.mode + ', batch ≤ ' + a.maxBatchSize + ', delay ≤ ' + a.maxQueueDelayMs + ' ms</small>').join('<br>'),
      '<small>' + esc(x.reason) + '</small>']));
    document.getElementById('at').textContent = new Date().toLocaleTimeString();
  } catch (e) { document.getElementById('at').textContent = 'refresh failed: ' + e; }
}
refresh(); setInterval(refresh, 2000);
</script></body></html>`;
