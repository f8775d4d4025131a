// api.js — the page's only way to the server: same-origin fetch with the
// session cookie, JSON in and out, and the session's CSRF token on every
// state-changing request (the server refuses POST/PUT/PATCH/DELETE made with
// the cookie without it: 403 CSRF_REQUIRED).

let csrfToken = null;
let onSessionEnded = null;

// fn() runs when a call is answered 401: the session ended (idle, logout
// elsewhere, account disabled), so the page goes back to the login.
export function setSessionEndedHandler(fn) {
  onSessionEnded = fn;
}

export function setCsrfToken(token) {
  csrfToken = token || null;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.errorCode) || (status === 0 ? 'NETWORK' : 'HTTP_' + status);
    this.field = (body && body.field) || null;
    this.body = body || {};
  }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function call(method, path, { body, params } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let resp;
  try {
    resp = await fetch(path + query(params), {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, { error: String(e && e.message ? e.message : e) });
  }
  if (resp.status === 204) return null;
  let data = null;
  const text = await resp.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = { error: text.slice(0, 200) }; }
  }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data);
    if (resp.status === 401 && err.code === 'UNAUTHORIZED' && onSessionEnded && path !== '/api/auth/me') onSessionEnded();
    const ra = resp.headers.get('Retry-After');
    if (ra) err.retryAfter = Number(ra);
    throw err;
  }
  return data;
}

const enc = encodeURIComponent;

export const api = {
  login: (email, password) => call('POST', '/api/auth/login', { body: { email, password } }),
  logout: () => call('POST', '/api/auth/logout', { body: {} }),
  me: () => call('GET', '/api/auth/me'),
  vendors: () => call('GET', '/api/admin/vendors'),
  preview: (req) => call('POST', '/api/admin/pms/preview', { body: req }),
  saveListing: (req) => call('POST', '/api/admin/listings', { body: req }),
  hotels: () => call('GET', '/api/admin/hotels'),
  hotel: (id) => call('GET', `/api/admin/hotels/${enc(id)}`),
  setPolling: (id, enabled, intervalSeconds) =>
    call('PUT', `/api/admin/hotels/${enc(id)}/polling`, { body: { enabled, intervalSeconds } }),
  syncNow: (id) => call('POST', `/api/admin/hotels/${enc(id)}/sync`, { body: {} }),
  setDegraded: (id, degraded, reason) =>
    call('PUT', `/api/hotels/${enc(id)}/degraded-mode`, { body: degraded ? { degraded, reason } : { degraded } }),
  roomTypes: (vendor, id) => call('GET', `/api/hotels/${enc(id)}/room-types`, { params: { vendor } }),
  inventory: (params) => call('GET', '/api/inventory', { params }),
  rates: (params) => call('GET', '/api/rates', { params }),
  bookings: (params) => call('GET', '/api/admin/bookings', { params }),
  booking: (id) => call('GET', `/api/admin/bookings/${enc(id)}`),
  cancelBooking: (id, reason) => call('POST', `/api/admin/bookings/${enc(id)}/cancel`, { body: { reason } }),
  compensations: (params) => call('GET', '/api/admin/compensations', { params }),
  retryCompensation: (id) => call('POST', `/api/admin/compensations/${enc(id)}/retry`, { body: {} }),
  reconcile: (params) => call('GET', '/api/admin/reconciliation', { params }),
  audit: (params) => call('GET', '/api/admin/audit', { params }),
};
