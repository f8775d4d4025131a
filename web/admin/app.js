// app.js — the admin page's shell: session, language, navigation (hash
// routes, so the server serves one HTML file), and the login screen.
import { api, setCsrfToken, setSessionEndedHandler } from './api.js';
import { h, mount, field } from './dom.js';
import { t, getLang, setLang } from './i18n.js';
import { session, can, limited, errorBox } from './ui.js';
import { hotelsScreen } from './hotels.js';
import { bookingsScreen, bookingScreen } from './bookings.js';
import { compensationsScreen, reconcileScreen, auditScreen } from './ops.js';

const main = () => document.getElementById('main');

const ROUTES = [
  { path: 'hotels', label: 'nav.hotels', role: 'viewer', screen: hotelsScreen },
  { path: 'bookings', label: 'nav.bookings', role: 'viewer', screen: bookingsScreen },
  { path: 'compensations', label: 'nav.compensations', role: 'viewer', screen: compensationsScreen },
  { path: 'reconcile', label: 'nav.reconcile', role: 'operator', screen: reconcileScreen },
  { path: 'audit', label: 'nav.audit', role: 'admin', screen: auditScreen, allHotels: true },
];

function allowed(r) {
  return can(r.role) && !(r.allHotels && limited());
}

function renderChrome() {
  document.title = t('app.title');
  document.getElementById('brand').textContent = t('app.title');
  document.getElementById('skip-link').textContent = t('skip');
  document.getElementById('lang-label').textContent = t('lang');
  document.getElementById('lang').value = getLang();
  const nav = document.getElementById('nav');
  nav.setAttribute('aria-label', t('nav.main'));
  const current = (location.hash.replace(/^#\/?/, '').split('/')[0]) || 'hotels';
  mount(nav, session.me ? h('ul', {}, ROUTES.filter(allowed).map((r) =>
    h('li', {}, h('a', { href: `#/${r.path}`, 'aria-current': r.path === current ? 'page' : false }, t(r.label))))) : null);
  const who = document.getElementById('who');
  if (!session.me) {
    mount(who);
    return;
  }
  const hotels = limited() ? t('who.hotels', { hotels: session.me.hotels.join(', ') }) : null;
  mount(who,
    h('span', { class: 'me' }, session.me.email || session.me.name || '', ' · ', t(`who.role.${session.me.role}`)),
    hotels ? h('span', { class: 'me-hotels' }, hotels) : null,
    h('button', { type: 'button', class: 'link', id: 'logout', onclick: logout }, t('logout')));
}

async function logout() {
  try { await api.logout(); } catch { /* the session is gone either way */ }
  session.me = null;
  setCsrfToken(null);
  location.hash = '#/login';
  render();
}

function loginScreen() {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
  const msg = h('div', { class: 'msg' });
  const form = h('form', { class: 'card login', novalidate: true },
    h('h1', {}, t('login.title')),
    field(t('login.email'), email),
    field(t('login.password'), password),
    msg, submit,
    h('p', { class: 'hint' }, t('login.hint')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (submit.disabled) return;
    submit.disabled = true;
    mount(msg);
    try {
      const me = await api.login(email.value.trim(), password.value);
      password.value = '';
      session.me = me;
      setCsrfToken(me.csrfToken);
      location.hash = '#/hotels';
      render();
    } catch (e) {
      mount(msg, e.code === 'LOGIN_FAILED' ? h('div', { class: 'error', role: 'alert' }, t('login.failed')) : errorBox(e));
    } finally {
      submit.disabled = false;
    }
  });
  setTimeout(() => email.focus(), 0);
  return form;
}

// Renders the screen the hash names. Screens load their data first; when the
// hash changes meanwhile, the later render wins and the earlier one's screen
// is dropped instead of replacing it.
let renderSeq = 0;
export async function render() {
  const seq = ++renderSeq;
  renderChrome();
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const root = main();
  if (!session.me) {
    mount(root, loginScreen());
    return;
  }
  let screen;
  if (parts[0] === 'bookings' && parts[1]) {
    screen = () => bookingScreen(parts[1]);
  } else {
    const route = ROUTES.find((r) => r.path === parts[0]) || ROUTES[0];
    if (!allowed(route)) {
      mount(root, h('p', { class: 'error', role: 'alert' }, t('forbidden.page')));
      return;
    }
    screen = route.screen;
  }
  mount(root, h('p', { class: 'loading' }, t('loading')));
  const el = await screen();
  if (seq === renderSeq) mount(root, el);
}

function sessionEnded() {
  if (!session.me) return;
  session.me = null;
  setCsrfToken(null);
  render();
}

async function start() {
  setSessionEndedHandler(sessionEnded);
  document.getElementById('lang').addEventListener('change', (ev) => {
    setLang(ev.target.value);
    render();
  });
  setLang(getLang());
  try {
    const me = await api.me();
    session.me = me;
    setCsrfToken(me.csrfToken);
  } catch {
    session.me = null;
  }
  window.addEventListener('hashchange', render);
  await render();
}

start();
