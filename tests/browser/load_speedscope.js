// Opens a speedscope file in speedscope's own web app (the npm package's
// dist/release, served from disk through playwright routes under a made-up
// host: nothing leaves the machine) in Debian's chromium, and says what the
// app made of it, as one JSON line:
//   node load_speedscope.js FILE.json [WAIT_MS]   (how long to wait for the import, default 30000)
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const HOST = 'http://speedscope.invalid/';
const DIST = path.join(__dirname, 'node_modules', 'speedscope', 'dist', 'release');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
                '.woff2': 'font/woff2', '.png': 'image/png', '.ico': 'image/x-icon', '.txt': 'text/plain' };

(async () => {
  const file = process.argv[2];
  const wait = Number(process.argv[3] || 30000);
  const out = { console_errors: [], page_errors: [], outside: [] };
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (!u.startsWith(HOST)) { out.outside.push(u); return route.abort(); }
      const rel = decodeURIComponent(new URL(u).pathname.slice(1));
      const p = rel === 'profile.json' ? file : path.join(DIST, path.normalize(rel));
      if (!p.startsWith(DIST) && p !== file) return route.abort();
      if (!fs.existsSync(p)) return route.fulfill({ status: 404, body: '' });
      return route.fulfill({ status: 200, body: fs.readFileSync(p),
        headers: { 'content-type': TYPES[path.extname(p)] || 'application/octet-stream' } });
    });
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') out.console_errors.push(m.text()); });
    page.on('pageerror', (e) => out.page_errors.push(String(e)));
    await page.goto(HOST + 'index.html#profileURL=' + encodeURIComponent(HOST + 'profile.json'));
    // speedscope names the tab after the profile once it has imported it
    await page.waitForFunction(() => document.title.includes(' - speedscope'), null, { timeout: wait })
      .catch(() => {});
    out.title = await page.title();
    out.body = (await page.locator('body').innerText()).slice(0, 400);
    out.canvases = await page.locator('canvas').count();
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.log(JSON.stringify({ fatal: String(e) })); process.exit(1); });
