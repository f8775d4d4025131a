// ui.js — pieces every screen uses: the session, plain-words errors, badges, a toast.
import { h } from './dom.js';
import { t } from './i18n.js';

// The logged-in caller ({role, email, hotels, csrfToken}) or null.
export const session = { me: null };

const RANK = { viewer: 1, operator: 2, admin: 3 };

// True when the caller has at least `role`.
export function can(role) {
  return !!session.me && (RANK[session.me.role] || 0) >= RANK[role];
}

// True when the caller is limited to some hotels (then platform-wide screens are not theirs).
export function limited() {
  return !!session.me && Array.isArray(session.me.hotels) && session.me.hotels.length > 0;
}

// An ApiError in plain words: what went wrong, the field, the breaker, when to retry.
export function errorText(err) {
  const key = `err.${err.code}`;
  // a field the page has a label for is named by that label
  const labelKey = err.field ? `onb.${err.field}` : null;
  const field = labelKey && t(labelKey) !== labelKey ? t(labelKey) : err.field || '';
  let text = t(key, { field });
  if (text === key) text = t('err.other');
  const parts = [text];
  if (err.body && err.body.breakerState) parts.push(t('err.breaker', { state: t(`breaker.${err.body.breakerState}`) }));
  if (err.retryAfter) parts.push(t('err.retryAfter', { s: err.retryAfter }));
  return parts.join(' ');
}

// An alert box for an error: the plain words, then the server's own message as detail.
export function errorBox(err) {
  const detail = err.message && err.message !== `HTTP ${err.status}` ? err.message : null;
  return h('div', { class: 'error', role: 'alert', dataset: { code: err.code } },
    h('strong', {}, errorText(err)), detail ? h('div', { class: 'detail' }, detail) : null);
}

export function badge(text, kind) {
  return h('span', { class: `badge ${kind || ''}` }, text);
}

let toastTimer = null;
export function toast(text) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 4000);
}

// Runs fn with `button` disabled (and marked busy) until it settles, so a
// double click sends one request.
export async function busy(button, fn) {
  if (button.disabled) return undefined;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// A section with a heading.
export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

// ISO date of today + days (UTC).
export function isoDay(days) {
  const d = new Date(Date.now() + days * 86400000);
  return d.toISOString().slice(0, 10);
}
