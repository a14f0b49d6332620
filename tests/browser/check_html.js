// Loads retain's HTML report in Debian's chromium (headless, driven by
// playwright-core) and says what the page shows, as one JSON line:
//   node check_html.js PAGE.html SCREENSHOT.png
// Every request other than the page itself is recorded and aborted: the page
// must need nothing from any network.  tests/test_frontend.py judges the result.
'use strict';
const path = require('path');
const { chromium } = require('playwright-core');

(async () => {
  const [page_path, shot] = process.argv.slice(2);
  const url = 'file://' + path.resolve(page_path);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const out = { console_errors: [], requests: [], page_errors: [] };
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      out.requests.push(u);
      return route.abort();
    });
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') out.console_errors.push(m.text()); });
    page.on('pageerror', (e) => out.page_errors.push(String(e)));
    page.on('request', (r) => { if (r.url() !== url && !out.requests.includes(r.url())) out.requests.push(r.url()); });
    await page.goto(url, { waitUntil: 'load' });
    out.findings = await page.locator('section.finding').count();
    out.summary_findings = await page.locator('#summary .card b').first().textContent();
    out.charts = await page.$$eval('section.finding', (secs) => secs.map((s) => {
      const svg = s.querySelector('svg.chart');
      if (!svg) return null;
      return { points: svg.querySelectorAll('circle.pt').length,
               peak: svg.querySelectorAll('circle.peak').length,
               drop: svg.querySelectorAll('line.drop').length,
               retained: svg.querySelectorAll('rect.retained').length,
               xlabel: (svg.querySelector('text.xlabel') || {}).textContent || '',
               ylabel: (svg.querySelector('text.ylabel') || {}).textContent || '',
               width: svg.getBoundingClientRect().width };
    }));
    out.inlined_folded = await page.locator('section.finding ol.stack details').count();
    const flames = {};
    for (const w of ['live', 'peak', 'retained'])
      flames[w] = await page.$$eval(`#flame-${w}`, (els) => els.length ? {
        rects: els[0].querySelectorAll('rect').length,
        total: Number((els[0].querySelector('svg') || { dataset: {} }).dataset.total || 0),
        visible: getComputedStyle(els[0]).display !== 'none' } : null);
    out.flames = flames;
    // the tabs switch graphs
    await page.click('.tabs button[data-show="flame-peak"]');
    out.peak_visible_after_click = await page.$eval('#flame-peak', (e) => getComputedStyle(e).display !== 'none');
    // click-to-zoom: the widest frame narrower than the graph fills it; the root restores
    out.zoom = await page.$eval('#flame-peak svg', (svg) => {
      const W = svg.viewBox.baseVal.width, gs = Array.from(svg.querySelectorAll('g'));
      const narrow = gs.filter((g) => +g.dataset.w < 0.9 * W).sort((a, b) => b.dataset.w - a.dataset.w)[0];
      if (!narrow) return null;
      const click = (g) => g.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      click(narrow);
      const zoomed = { width: +narrow.querySelector('rect').getAttribute('width'), graph: W,
                       hidden: gs.filter((g) => g.style.display === 'none').length, frames: gs.length };
      click(gs.find((g) => g.dataset.d === '0'));
      zoomed.hidden_after_root = gs.filter((g) => g.style.display === 'none').length;
      zoomed.root_width = +gs.find((g) => g.dataset.d === '0').querySelector('rect').getAttribute('width');
      return zoomed;
    });
    // sorting the sites table by peak live, twice: ascending, then descending
    const peakCol = 2;
    await page.click(`#sites th:nth-child(${peakCol + 1})`);
    out.sorted_asc = await page.$$eval('#sites tbody tr', (rows, c) => rows.map((r) => Number(r.cells[c].dataset.v)), peakCol);
    await page.click(`#sites th:nth-child(${peakCol + 1})`);
    out.sorted_desc = await page.$$eval('#sites tbody tr', (rows, c) => rows.map((r) => Number(r.cells[c].dataset.v)), peakCol);
    await page.click('.tabs button[data-show="flame-retained"]');
    if (shot) await page.screenshot({ path: shot, fullPage: true });
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.log(JSON.stringify({ fatal: String(e) })); process.exit(1); });
