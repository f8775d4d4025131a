// admin.test.mjs — the admin page in Debian's chromium (headless, through
// playwright-core) against the stack browser_admin.c started: onboarding a
// hotel from the pms-sandbox, the PMS's refusals, hostile text, CSRF, roles,
// the per-hotel degraded switch, a cancel reaching the pay-sandbox's ledger,
// reconciliation. Run by `ctest -R browser_admin`, which sets the addresses.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through ctest -R browser_admin`);
  return v;
};
const BASE = env('ADMIN_BASE_URL');
const BOOKING = env('BOOKING_BASE_URL');
const PMS = env('PMS_SANDBOX_URL');
const PAY = env('PAY_SANDBOX_URL');
const DB = new URL(env('TEST_MYSQL_URL'));
const SHOTS = env('SCREENSHOT_DIR');
const PASSWORD = env('TEST_PASSWORD');
const SEED = JSON.parse(readFileSync(env('PMS_SEED'), 'utf8'));
// the sandbox's hotel whose name, address and room names are HTML
const MARKUP_HOTEL = 'hotel_markup';
const MARKUP_NAME = SEED.hotels.find((x) => x.propertyID === MARKUP_HOTEL).name;
const LOGS = env('SERVICE_LOGS').split(':');
const ADMIN = 'admin@browser.test';
const VIEWER = 'viewer@browser.test';
const BUSAN_DESK = 'busan-desk@browser.test';
// generous: the sanitizer build of every service under a loaded machine is slow
const WAIT = 30000;

let browser;
// Pages still open when a test ends belong to a test that failed: they are
// photographed for the report and closed.
const openPages = new Set();

// ------------------------------------------------------------ helpers --

function sql(query) {
  const out = execFileSync('mariadb', ['-h', DB.hostname, '-P', DB.port || '3306', '-u', decodeURIComponent(DB.username),
    `-p${decodeURIComponent(DB.password)}`, '-N', '-B', '-e', query, DB.pathname.slice(1)], { encoding: 'utf8' });
  return out.trim();
}

function dump() {
  return execFileSync('mariadb-dump', ['-h', DB.hostname, '-P', DB.port || '3306', '-u', decodeURIComponent(DB.username),
    `-p${decodeURIComponent(DB.password)}`, '--skip-comments', '--hex-blob=0', DB.pathname.slice(1)],
  { encoding: 'latin1', maxBuffer: 256 * 1024 * 1024 });
}

const seedHotel = (id) => SEED.hotels.find((x) => x.propertyID === id);

async function json(url, init) {
  const r = await fetch(url, init);
  const text = await r.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = text; }
  return { status: r.status, body };
}

async function newPage(width = 1280, height = 900) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'ko-KR' });
  const page = await context.newPage();
  openPages.add(page);
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  // an alert() would be text from the PMS run as script
  page.on('dialog', (d) => { page.problems.push(`dialog: ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) page.problems.push(m.text());
  });
  return page;
}

async function login(email, opts = {}) {
  const page = await newPage(opts.width, opts.height);
  await page.goto(`${BASE}/admin/`);
  await page.getByLabel('이메일').fill(email);
  await page.getByLabel('비밀번호').fill(PASSWORD);
  await page.getByRole('button', { name: '로그인' }).click();
  await page.locator('#logout').waitFor({ timeout: WAIT });
  return page;
}

// A screenshot of the whole page, or with a dialog open of the screen (a
// modal dialog scrolls by itself; `tall` makes the screen tall enough to
// show all of it).
async function shot(page, name, { tall } = {}) {
  mkdirSync(SHOTS, { recursive: true });
  const dialogOpen = (await page.locator('dialog[open]').count()) > 0;
  const size = page.viewportSize();
  if (tall) await page.setViewportSize({ width: size.width, height: tall });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: !dialogOpen });
  if (tall) await page.setViewportSize(size);
}

// Every form control on the screen has a label (or an aria name).
async function assertLabelled(page) {
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML.slice(0, 120)));
  assert.deepEqual(unlabelled, [], 'controls without a label');
}

async function closePage(page) {
  assert.deepEqual(page.problems, [], 'no script errors and no CSP violations');
  await assertLabelled(page);
  openPages.delete(page);
  await page.context().close();
}

// Opens the Connect PMS dialog, fills hotel id and key, presses Fetch.
async function fetchPreview(page, hotelId, apiKey) {
  if (!(await page.locator('dialog.onboarding[open]').count())) {
    await page.goto(`${BASE}/admin/#/hotels`);
    await page.locator('#connect-pms').click();
  }
  const dialog = page.locator('dialog.onboarding');
  await dialog.locator('select[name=vendor]').waitFor({ timeout: WAIT });
  await dialog.locator('input[name=hotelId]').fill(hotelId);
  await dialog.locator('input[name=apiKey]').fill(apiKey || '');
  await dialog.locator('#onb-fetch').click();
  await Promise.race([
    dialog.locator('.preview').waitFor({ timeout: WAIT }),
    dialog.locator('.connect ~ .msg .error').waitFor({ timeout: WAIT }),
  ]);
  return dialog;
}

async function listingCount(hotelId) {
  return Number(sql(`SELECT COUNT(*) FROM listings WHERE hotel_id='${hotelId}'`));
}

async function configCount(hotelId) {
  return Number(sql(`SELECT COUNT(*) FROM pms_config WHERE hotel_id='${hotelId}'`));
}

// Sums the sandbox's nightly rates (major units) of [from, from+nights).
async function stayAmount(hotelId, roomTypeId, from, nights) {
  const to = day(from, nights - 1);
  const r = await json(`${PMS}/_sandbox/inventory?propertyID=${hotelId}&roomTypeID=${roomTypeId}&from=${from}&to=${to}`);
  const rows = Array.isArray(r.body) ? r.body : r.body.inventory;
  return rows.reduce((s, n) => s + n.rate, 0);
}

function day(iso, plus) {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + plus * 86400000).toISOString().slice(0, 10);
}
const today = () => new Date().toISOString().slice(0, 10);

async function checkout(hotelId, roomTypeId, offset, key) {
  const checkIn = day(today(), offset);
  const amount = await stayAmount(hotelId, roomTypeId, checkIn, 1);
  return json(`${BOOKING}/api/booking/checkout`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify({
      vendor: 'cloudbeds', hotelId, roomTypeId, checkIn, checkOut: day(checkIn, 1),
      guestInfo: { firstName: '길동', lastName: 'Hong', email: 'hong@example.com', phone: '+82-10-1234-5678' },
      adults: 1, children: 0, payment: { cardToken: 'tok_visa', amount, currency: seedHotel(hotelId).currency.code },
    }),
  });
}

before(async () => {
  browser = await chromium.launch({ executablePath: env('CHROMIUM'), headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
});

afterEach(async (t) => {
  for (const page of openPages) {
    const name = `failed-${String((t && t.name) || 'test').replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60)}`;
    await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true }).catch(() => {});
    await page.context().close().catch(() => {});
  }
  openPages.clear();
});

after(async () => {
  if (browser) await browser.close();
});

// -------------------------------------------------------------- tests --

test('the page is served with a strict CSP and nothing else leaves its folder', async () => {
  const r = await fetch(`${BASE}/admin/`);
  assert.equal(r.status, 200);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  const html = await r.text();
  assert.doesNotMatch(html, /<script>|<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=/i, 'no inline script, style or handler');
  for (const p of ['/admin/..%2f..%2fetc%2fpasswd', '/admin/%2e%2e', '/admin/.copied', '/admin/nope.js']) {
    assert.equal((await fetch(`${BASE}${p}`)).status, 404, p);
  }
});

test('login: a wrong password is told in plain words; the first admin gets in', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/admin/`);
  await shot(page, '01-login');
  await page.getByLabel('이메일').fill(ADMIN);
  await page.getByLabel('비밀번호').fill('wrong-password-123');
  await page.getByRole('button', { name: '로그인' }).click();
  await page.getByRole('alert').filter({ hasText: '비밀번호가 틀렸거나' }).waitFor({ timeout: WAIT });
  // by keyboard: the password field, then Enter submits
  await page.getByLabel('비밀번호').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.locator('#logout').waitFor({ timeout: WAIT });
  await page.locator('#lang').selectOption('en');
  await page.getByRole('link', { name: 'Hotels' }).waitFor({ timeout: WAIT });
  await page.locator('#lang').selectOption('ko');
  await page.getByRole('link', { name: '호텔' }).waitFor({ timeout: WAIT });
  await closePage(page);
});

test('onboarding: the form is filled with the sandbox hotel; Save (double-clicked) writes it once, encrypted', async () => {
  const page = await login(ADMIN);
  const dialog = await fetchPreview(page, 'hotel_123', 'cbk_sandbox_hotel_123');
  const seed = seedHotel('hotel_123');
  assert.equal(await dialog.locator('input[name=name]').inputValue(), seed.name);
  assert.equal(await dialog.locator('.preview-name').textContent(), seed.name);
  assert.equal(await dialog.locator('input[name=city]').inputValue(), seed.address.city);
  assert.equal(await dialog.locator('input[name=country]').inputValue(), seed.address.country);
  assert.equal(await dialog.locator('input[name=currency]').inputValue(), seed.currency.code);
  assert.equal(await dialog.locator('input[name=timezone]').inputValue(), seed.timezone);
  assert.equal(Number(await dialog.locator('input[name=latitude]').inputValue()), Number(seed.address.latitude));
  const cards = dialog.locator('li.room-type');
  assert.equal(await cards.count(), seed.roomTypes.length);
  for (const rt of seed.roomTypes) {
    const card = dialog.locator(`li.room-type[data-room-type="${rt.roomTypeID}"]`);
    assert.equal(await card.locator('input[name=roomName]').inputValue(), rt.name);
    assert.match(await card.locator('.occupancy').textContent(), new RegExp(`\\b${rt.maxGuests}\\b`));
    assert.match(await card.locator('.rooms').textContent(), new RegExp(`\\b${rt.units}\\b`));
    const avg = Math.round((await stayAmount('hotel_123', rt.roomTypeID, today(), 30)) / 30);
    assert.match((await card.locator('.price').textContent()).replace(/,/g, ''), new RegExp(`${avg}`));
  }
  const gridCells = dialog.locator('table.inv-grid tbody tr').first().locator('td');
  assert.equal(await gridCells.count(), 30);
  // the PMS settings checklist: the sandbox hotel is set up; the status setting cannot be told
  assert.equal(await dialog.locator('.setup-checks li').count(), 3);
  assert.equal(await dialog.locator('.setup-checks li[data-check=holdExpiresAtField]').getAttribute('data-state'), 'ok');
  assert.equal(await dialog.locator('.setup-checks li[data-check=cashPayment]').getAttribute('data-state'), 'ok');
  assert.equal(await dialog.locator('.setup-checks li[data-check=notConfirmedStatus]').getAttribute('data-state'), 'unknown');
  assert.equal(await dialog.locator('.setup-blocked').count(), 0);
  await assertLabelled(page);
  await shot(page, '02-onboarding-preview', { tall: 1450 });
  await dialog.locator('input[name=pollingIntervalSeconds]').fill('120');
  await dialog.locator('#onb-save').dblclick();
  await dialog.locator('.saved').waitFor({ timeout: WAIT });
  assert.match(await dialog.locator('.saved [role=status]').textContent(), /새 숙소/);
  await dialog.locator('.live-grid tbody tr').first().waitFor({ timeout: WAIT });
  await shot(page, '03-onboarding-saved');

  assert.equal(await listingCount('hotel_123'), 1);
  assert.equal(Number(sql("SELECT COUNT(*) FROM room_types WHERE hotel_id='hotel_123'")), 3);
  assert.ok(Number(sql("SELECT COUNT(*) FROM room_inventory WHERE hotel_id='hotel_123'")) >= 90);
  assert.ok(Number(sql("SELECT COUNT(*) FROM rate_plan WHERE hotel_id='hotel_123'")) >= 90);
  assert.equal(sql("SELECT polling_enabled, polling_interval_seconds FROM pms_config WHERE hotel_id='hotel_123'"), '1\t120');
  assert.ok(Number(sql("SELECT LENGTH(api_key_enc) FROM pms_config WHERE hotel_id='hotel_123'")) > 16);
  assert.ok(!dump().includes('cbk_sandbox_hotel_123'), 'the API key in plain text is nowhere in the database');
  for (const log of LOGS) assert.ok(!readFileSync(log, 'latin1').includes('cbk_sandbox_hotel_123'), `key in ${log}`);

  const rts = await json(`${BASE}/api/hotels/hotel_123/room-types?vendor=cloudbeds`);
  assert.equal(rts.status, 200);
  assert.equal(rts.body.roomTypes.length, 3);
  const inv = await json(`${BASE}/api/inventory?vendor=cloudbeds&hotelId=hotel_123&roomTypeId=room_456&from=${today()}&to=${day(today(), 2)}`);
  assert.equal(inv.status, 200);
  assert.equal(inv.body.nights.length, 3);
  await closePage(page);
});

test('onboarding refusals: wrong key, an invalid field, unknown hotel, PMS down — a clear message and nothing written', async () => {
  const page = await login(ADMIN);
  let dialog = await fetchPreview(page, 'hotel_busan', 'cbk_wrong_key');
  await dialog.locator('.error[data-code=PMS_AUTH_FAILED]').waitFor({ timeout: WAIT });
  assert.match(await dialog.locator('.error').first().textContent(), /API 키를 거부/);
  await shot(page, '04-onboarding-wrong-key');
  // a field that fails validation is named, and Save can be pressed again after fixing it
  dialog = await fetchPreview(page, 'hotel_busan', 'cbk_sandbox_hotel_busan');
  await dialog.locator('input[name=latitude]').fill('200');
  await dialog.locator('#onb-save').click();
  await dialog.locator('.save .error[data-code=VALIDATION_ERROR]').waitFor({ timeout: WAIT });
  assert.match(await dialog.locator('.save .error').textContent(), /입력값을 확인하세요: 위도/);
  assert.equal(await dialog.locator('input[name=latitude]').getAttribute('aria-invalid'), 'true');
  assert.equal(await dialog.locator('#onb-save').isEnabled(), true);
  dialog = await fetchPreview(page, 'hotel_nope', 'cbk_sandbox_hotel_123');
  await dialog.locator('.error[data-code=HOTEL_NOT_FOUND]').waitFor({ timeout: WAIT });
  assert.match(await dialog.locator('.error').first().textContent(), /호텔 ID가 없습니다/);
  // a hotel whose PMS lacks the holdExpiresAt field: shown in the checklist, Save refused
  const setup = (body) => json(`${PMS}/_sandbox/frontdesk/setup`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ propertyID: 'hotel_busan', ...body }) });
  assert.equal((await setup({ holdField: false })).status, 200);
  try {
    dialog = await fetchPreview(page, 'hotel_busan', 'cbk_sandbox_hotel_busan');
    const item = dialog.locator('.setup-checks li[data-check=holdExpiresAtField]');
    assert.equal(await item.getAttribute('data-state'), 'missing');
    assert.match(await item.textContent(), /holdExpiresAt/);
    await dialog.locator('.setup-blocked').waitFor({ timeout: WAIT });
    await dialog.locator('#onb-save').click();
    await dialog.locator('.save .error[data-code=PMS_SETUP_INCOMPLETE]').waitFor({ timeout: WAIT });
    assert.match(await dialog.locator('.save .error').textContent(), /PMS 숙소 설정이 빠져/);
    await shot(page, '04b-onboarding-setup-missing');
  } finally {
    await setup({});
  }
  assert.equal((await json(`${PMS}/_sandbox/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ down: true }) })).status, 201);
  try {
    dialog = await fetchPreview(page, 'hotel_nyc', 'cbk_sandbox_hotel_nyc');
    await dialog.locator('.error[data-code=PMS_UNAVAILABLE]').waitFor({ timeout: WAIT });
    assert.match(await dialog.locator('.error').first().textContent(), /PMS가 응답하지 않거나/);
  } finally {
    await fetch(`${PMS}/_sandbox/faults`, { method: 'DELETE' });
  }
  for (const h of ['hotel_busan', 'hotel_nope', 'hotel_nyc']) {
    assert.equal(await listingCount(h), 0, h);
    assert.equal(await configCount(h), 0, h);
  }
  await closePage(page);
});

test('re-onboarding the same hotel updates it, never a second listing', async () => {
  const page = await login(ADMIN);
  const dialog = await fetchPreview(page, 'hotel_123', '');
  await dialog.locator('.preview .note').waitFor({ timeout: WAIT }); // "already onboarded"
  // the earlier choices are kept: the interval set at the first Save
  assert.equal(await dialog.locator('input[name=pollingIntervalSeconds]').inputValue(), '120');
  await dialog.locator('input[name=name]').fill('Seoul Central (renamed)');
  await dialog.locator('li.room-type[data-room-type="room_458"] input[name=sell]').uncheck();
  await dialog.locator('#onb-save').click();
  await dialog.locator('.saved').waitFor({ timeout: WAIT });
  assert.match(await dialog.locator('.saved [role=status]').textContent(), /갱신/);
  assert.equal(await listingCount('hotel_123'), 1);
  assert.equal(sql("SELECT name FROM listings WHERE hotel_id='hotel_123'"), 'Seoul Central (renamed)');
  assert.equal(Number(sql("SELECT COUNT(*) FROM room_types WHERE hotel_id='hotel_123'")), 2);
  assert.equal(sql("SELECT polling_interval_seconds FROM pms_config WHERE hotel_id='hotel_123'"), '120');
  await closePage(page);
});

test('a hotel name made of HTML from the PMS is shown as text and never runs', async () => {
  const page = await login(ADMIN);
  const dialog = await fetchPreview(page, MARKUP_HOTEL, `cbk_sandbox_${MARKUP_HOTEL}`);
  assert.match(MARKUP_NAME, /<script>/);
  assert.equal(await dialog.locator('.preview-name').textContent(), MARKUP_NAME);
  assert.equal(await dialog.locator('input[name=name]').inputValue(), MARKUP_NAME);
  const room = SEED.hotels.find((x) => x.propertyID === MARKUP_HOTEL).roomTypes[0];
  assert.equal(await dialog.locator(`li.room-type[data-room-type="${room.roomTypeID}"] .rt-title`).textContent(), room.name);
  await dialog.locator('#onb-save').click();
  await dialog.locator('.saved').waitFor({ timeout: WAIT });
  await dialog.locator('button.close').click();
  const row = page.locator(`tr[data-hotel="${MARKUP_HOTEL}"] .hotel-name`);
  await row.waitFor({ timeout: WAIT });
  assert.equal(await row.textContent(), MARKUP_NAME);
  assert.equal(await page.locator('img[src="x"], main script, dialog script, .hotel-name b, .hotel-name i').count(), 0);
  await closePage(page);
});

test('a state-changing request without the CSRF token is refused', async () => {
  const page = await login(ADMIN);
  const r = await page.evaluate(async () => {
    const resp = await fetch('/api/hotels/hotel_123/degraded-mode', { method: 'PUT',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ degraded: true, reason: 'csrf test' }) });
    return { status: resp.status, body: await resp.json() };
  });
  assert.equal(r.status, 403);
  assert.equal(r.body.errorCode, 'CSRF_REQUIRED');
  const state = await page.evaluate(async () => (await fetch('/api/hotels/hotel_123/degraded-mode')).json());
  assert.equal(state.degraded, false);
  await closePage(page);
});

test('onboarding a second hotel; a hotel-limited operator sees only that hotel', async () => {
  const admin = await login(ADMIN);
  const dialog = await fetchPreview(admin, 'hotel_busan', 'cbk_sandbox_hotel_busan');
  await dialog.locator('#onb-save').click();
  await dialog.locator('.saved').waitFor({ timeout: WAIT });
  await closePage(admin);

  const page = await login(BUSAN_DESK);
  await page.locator('tr[data-hotel]').first().waitFor({ timeout: WAIT });
  const ids = await page.locator('tr[data-hotel]').evaluateAll((rows) => rows.map((r) => r.dataset.hotel));
  assert.deepEqual(ids, ['hotel_busan']);
  assert.equal(await page.locator('#connect-pms').count(), 0);
  assert.equal(await page.getByRole('link', { name: '감사 로그' }).count(), 0);
  await shot(page, '05-hotels-limited-operator');
  await closePage(page);
});

test('a viewer sees no Save, switch or cancel, and the API refuses them', async () => {
  const page = await login(VIEWER);
  await page.locator('tr[data-hotel]').first().waitFor({ timeout: WAIT });
  assert.equal(await page.locator('#connect-pms, #onb-save, .degraded-on, .degraded-off, .sync, .polling').count(), 0);
  await shot(page, '06-hotels-viewer');
  const r = await page.evaluate(async () => {
    const me = await (await fetch('/api/auth/me')).json();
    const post = (path, body, method = 'POST') => fetch(path, { method,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrfToken }, body: JSON.stringify(body) })
      .then((x) => x.status);
    return [
      await post('/api/admin/pms/preview', { vendor: 'cloudbeds', hotelId: 'hotel_123', apiKey: 'k' }),
      await post('/api/admin/listings', { vendor: 'cloudbeds', hotelId: 'hotel_123', name: 'x', currency: 'KRW', roomTypes: [{ roomTypeId: 'room_456' }] }),
      await post('/api/hotels/hotel_123/degraded-mode', { degraded: true, reason: 'viewer' }, 'PUT'),
    ];
  });
  assert.deepEqual(r, [403, 403, 403]);
  await closePage(page);
});

let bookingId;

test('the per-hotel degraded switch refuses checkout for that hotel only; sync now; polling off and on', async () => {
  const page = await login(ADMIN);
  const row = page.locator('tr[data-hotel="hotel_busan"]');
  await row.waitFor({ timeout: WAIT });
  await row.locator('.degraded-on').click();
  await row.getByRole('alert').filter({ hasText: '사유' }).waitFor({ timeout: WAIT });
  await row.locator('input[name=reason]').fill('PMS 점검');
  await row.locator('.degraded-on').click();
  await page.locator('tr[data-hotel="hotel_busan"] .degraded-off').waitFor({ timeout: WAIT });
  await shot(page, '07-hotels-degraded');

  const refused = await checkout('hotel_busan', 'busan_ocean_double', 5, `busan-${Date.now()}`);
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.equal(refused.body.errorCode, 'DEGRADED_MODE');
  const ok = await checkout('hotel_123', 'room_456', 5, `seoul-${Date.now()}`);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.success, true);
  bookingId = ok.body.bookingId;

  await page.locator('tr[data-hotel="hotel_busan"] .degraded-off').click();
  await page.locator('tr[data-hotel="hotel_busan"] .degraded-on').waitFor({ timeout: WAIT });

  // the other hotel buttons: sync now, and polling off then on again
  await page.locator('tr[data-hotel="hotel_123"] .sync').click();
  await page.locator('#toast').filter({ hasText: '동기화 작업을 보냈습니다' }).waitFor({ timeout: WAIT });
  await page.locator('tr[data-hotel="hotel_busan"] .polling').click();
  await page.locator('tr[data-hotel="hotel_busan"]').getByText('수동으로 중지됨').waitFor({ timeout: WAIT });
  assert.equal(sql("SELECT polling_enabled FROM pms_config WHERE hotel_id='hotel_busan'"), '0');
  await page.locator('tr[data-hotel="hotel_busan"] .polling').click();
  await page.locator('tr[data-hotel="hotel_busan"]').getByText('실행 중', { exact: false }).waitFor({ timeout: WAIT });
  await closePage(page);
});

test('cancel from the booking page (with a confirmation step) voids or refunds at the pay-sandbox', async () => {
  assert.ok(bookingId, 'the previous test made a booking');
  const page = await login(ADMIN);
  await page.goto(`${BASE}/admin/#/bookings`);
  await page.getByLabel('예약 ID').fill(bookingId);
  await page.getByRole('button', { name: '검색' }).click();
  await page.locator(`tr[data-booking="${bookingId}"] a`).waitFor({ timeout: WAIT });
  await shot(page, '08-bookings-search');
  await page.locator(`tr[data-booking="${bookingId}"] a`).click();
  await page.locator('#booking-cancel').waitFor({ timeout: WAIT });
  await shot(page, '08-booking');
  await page.locator('#booking-cancel').click();
  await page.locator('#booking-cancel-confirm').waitFor({ timeout: WAIT });
  await page.getByLabel('취소 사유').fill('guest asked by phone');
  await page.locator('#booking-cancel-confirm').click();
  await page.locator('.status').filter({ hasText: '취소됨' }).waitFor({ timeout: WAIT });
  const ledger = (await json(`${PAY}/_sandbox/ledger`)).body;
  const intent = ledger.paymentIntents.find((p) => p.bookingId === bookingId);
  assert.ok(intent, 'the booking has a payment at the gateway');
  assert.ok(intent.status === 'canceled' || intent.amountRefunded === intent.amount, JSON.stringify(intent));
  await closePage(page);
});

test('reconciliation: nothing when all agree; a reservation made straight in the PMS shows up', async () => {
  const page = await login(ADMIN);
  await page.goto(`${BASE}/admin/#/reconcile`);
  await page.getByLabel('호텔', { exact: true }).selectOption('hotel_123');
  await page.locator('#rec-run').click();
  await page.locator('.rec-ok').waitFor({ timeout: WAIT });

  const form = new URLSearchParams({
    propertyID: 'hotel_123', startDate: day(today(), 7), endDate: day(today(), 8),
    guestFirstName: 'Walk', guestLastName: 'In', guestCountry: 'KR', guestZip: '04524',
    guestEmail: 'walkin@example.com', guestPhone: '010', paymentMethod: 'cash',
    'rooms[0][roomTypeID]': 'room_456', 'rooms[0][quantity]': '1',
    'adults[0][roomTypeID]': 'room_456', 'adults[0][quantity]': '1',
    'children[0][roomTypeID]': 'room_456', 'children[0][quantity]': '0',
  });
  const made = await json(`${PMS}/api/v1.3/postReservation`, { method: 'POST',
    headers: { 'x-api-key': 'cbk_sandbox_hotel_123', 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  await page.getByLabel('다른 채널의 PMS 예약도 포함').check();
  await page.locator('#rec-run').click();
  await page.locator('tr.mismatch').first().waitFor({ timeout: WAIT });
  const kinds = await page.locator('tr.mismatch').evaluateAll((rows) => rows.map((r) => r.dataset.kind));
  assert.ok(kinds.includes('pms_confirmed_not_booked'), kinds.join());
  await shot(page, '09-reconciliation');
  await closePage(page);
});

test('compensations: a stuck task is listed and retried from the page; the audit log', async () => {
  assert.ok(bookingId, 'an earlier test made a booking');
  // a stuck release of a hold the PMS no longer has: the retry finishes it at once
  sql(`INSERT INTO compensation_task (booking_id, action, hotel_id, hold_id, reason, attempts, next_attempt_at, alerted_at)
       VALUES ('${bookingId}', 'release_hold', 'hotel_123', 'res_gone_for_good', 'test', 8,
               CURRENT_TIMESTAMP(3) + INTERVAL 1 DAY, CURRENT_TIMESTAMP(3))`);
  const page = await login(ADMIN);
  await page.goto(`${BASE}/admin/#/compensations`);
  const row = page.locator('.screen.compensations tr[data-compensation]').first();
  await row.waitFor({ timeout: WAIT });
  assert.match(await row.textContent(), /release_hold/);
  assert.match(await row.textContent(), /멈춤/);
  await shot(page, '10-compensations');
  await row.locator('button.retry').click();
  // the answer (after the audit row is written) shows as a toast
  await page.locator('#toast').filter({ hasText: '재시도했습니다' }).waitFor({ timeout: WAIT });
  const deadline = Date.now() + WAIT;
  while (sql(`SELECT state FROM compensation_task WHERE hold_id='res_gone_for_good'`) !== 'done') {
    assert.ok(Date.now() < deadline, 'the retried task did not finish');
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.goto(`${BASE}/admin/#/audit`);
  await page.locator('.screen.audit table').waitFor({ timeout: WAIT });
  const text = await page.locator('.screen.audit table').textContent();
  for (const action of ['degraded.on', 'listing.create', 'listing.update', 'booking.cancel', 'compensation.retry']) {
    assert.match(text, new RegExp(action.replace('.', '\\.')));
  }
  assert.ok(!text.includes('cbk_sandbox_'), 'no API key in the audit log');
  await shot(page, '11-audit');
  await closePage(page);
});

test('on a phone: the hotels list and the Connect PMS dialog fit the screen', async () => {
  const page = await login(ADMIN, { width: 390, height: 844 });
  await page.locator('tr[data-hotel]').first().waitFor({ timeout: WAIT });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than the phone`);
  await shot(page, '12-phone-hotels');
  const dialog = await fetchPreview(page, 'hotel_tokyo', 'cbk_sandbox_hotel_tokyo');
  await dialog.locator('.preview').waitFor({ timeout: WAIT });
  await shot(page, '13-phone-onboarding');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached', timeout: WAIT });
  await closePage(page);
});
