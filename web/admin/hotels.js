// hotels.js — the hotels screen: every hotel the caller may see with its PMS,
// polling, breaker and sales state; operators switch a hotel's degraded mode
// (a reason is required), start/stop polling and sync now; admins connect a PMS.
import { api } from './api.js';
import { h, mount, field } from './dom.js';
import { t, when } from './i18n.js';
import { can, errorBox, badge, toast, busy, section } from './ui.js';
import { openOnboarding } from './onboarding.js';

function pollingCell(p) {
  if (!p) return '—';
  const lines = [];
  if (p.enabled) lines.push(badge(t('polling.on', { s: p.intervalSeconds }), 'ok'));
  else if (p.stoppedReason) lines.push(badge(t(`polling.stopped.${p.stoppedReason}`), p.stoppedReason === 'manual' ? 'muted wrap' : 'bad wrap'));
  else lines.push(badge(t('polling.off'), 'muted'));
  const info = [];
  if (p.lastSyncAt) info.push(t('polling.last', { at: when(p.lastSyncAt) }));
  if (p.enabled && p.nextSyncAt) info.push(t('polling.next', { at: when(p.nextSyncAt) }));
  if (p.errorCount) info.push(t('polling.errors', { n: p.errorCount }));
  if (info.length) lines.push(h('div', { class: 'small' }, info.join(' · ')));
  if (p.lastError) lines.push(h('div', { class: 'small bad-text' }, p.lastError));
  return lines;
}

function degradedCell(d) {
  if (!d || !d.degraded) return badge(t('degraded.off'), 'ok');
  const src = d.source ? ` ${t(`degraded.source.${d.source}`)}` : '';
  return badge(t('degraded.on', { reason: d.reason || '' }) + src, 'bad wrap');
}

// The degraded switch of one hotel: turning sales off asks for the reason first.
function degradedControl(hotel, onChange) {
  const on = !!(hotel.degraded && hotel.degraded.degraded && hotel.degraded.source === 'admin');
  const msg = h('div', { class: 'msg' });
  const wrap = h('div', { class: 'inline-form' });
  if (on) {
    const btn = h('button', { type: 'button', class: 'degraded-off' }, t('degraded.switchOff'));
    btn.addEventListener('click', () => busy(btn, async () => {
      try {
        await api.setDegraded(hotel.hotelId, false);
        onChange();
      } catch (e) { mount(msg, errorBox(e)); }
    }));
    mount(wrap, btn, msg);
    return wrap;
  }
  const reason = h('input', { type: 'text', maxlength: 200, class: 'reason', name: 'reason' });
  const apply = h('button', { type: 'submit', class: 'danger degraded-on' }, t('degraded.switchOn'));
  const form = h('form', { class: 'inline-form', novalidate: true },
    field(t('degraded.reason'), reason), apply, msg);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = reason.value.trim();
    if (!text) {
      reason.setAttribute('aria-invalid', 'true');
      mount(msg, h('div', { class: 'error', role: 'alert' }, t('degraded.reasonRequired')));
      reason.focus();
      return;
    }
    busy(apply, async () => {
      try {
        await api.setDegraded(hotel.hotelId, true, text);
        onChange();
      } catch (e) { mount(msg, errorBox(e)); }
    });
  });
  return form;
}

function actions(hotel, refresh) {
  if (!can('operator')) return null;
  const msg = h('div', { class: 'msg' });
  const sync = h('button', { type: 'button', class: 'sync' }, t('sync.now'));
  sync.addEventListener('click', () => busy(sync, async () => {
    try {
      const r = await api.syncNow(hotel.hotelId);
      toast(t('sync.sent', { id: r && r.jobId ? r.jobId : '' }));
    } catch (e) { mount(msg, errorBox(e)); }
  }));
  const enabled = hotel.polling && hotel.polling.enabled;
  const poll = h('button', { type: 'button', class: 'polling' }, t(enabled ? 'polling.turnOff' : 'polling.turnOn'));
  poll.addEventListener('click', () => busy(poll, async () => {
    try {
      await api.setPolling(hotel.hotelId, !enabled);
      refresh();
    } catch (e) { mount(msg, errorBox(e)); }
  }));
  return h('div', { class: 'actions' }, h('div', { class: 'buttons' }, sync, poll), degradedControl(hotel, refresh), msg);
}

function hotelRow(hotel, refresh) {
  return h('tr', { dataset: { hotel: hotel.hotelId } },
    h('td', { 'data-label': t('hotels.col.hotel') },
      h('div', { class: 'hotel-name' }, hotel.name || hotel.hotelId),
      h('div', { class: 'small mono' }, hotel.hotelId),
      h('div', { class: 'small' }, [hotel.city, hotel.country, hotel.currency].filter(Boolean).join(' · '))),
    h('td', { 'data-label': t('hotels.col.vendor') }, hotel.vendor,
      h('div', { class: 'small nowrap' }, t(`keySource.${hotel.keySource}`))),
    h('td', { 'data-label': t('hotels.col.polling') }, pollingCell(hotel.polling)),
    h('td', { 'data-label': t('hotels.col.breaker') },
      badge(t(`breaker.${hotel.breakerState}`), hotel.breakerState === 'closed' ? 'ok' : 'bad')),
    h('td', { 'data-label': t('hotels.col.degraded') }, degradedCell(hotel.degraded)),
    can('operator') ? h('td', { 'data-label': t('hotels.col.actions') }, actions(hotel, refresh)) : null);
}

export async function hotelsScreen() {
  const body = h('div', {});
  const root = h('div', { class: 'screen hotels' });
  const refresh = async () => {
    try {
      const hotels = await api.hotels();
      if (!hotels.length) {
        mount(body, h('p', { class: 'empty' }, t('hotels.empty')));
        return;
      }
      const headers = [t('hotels.col.hotel'), t('hotels.col.vendor'), t('hotels.col.polling'),
        t('hotels.col.breaker'), t('hotels.col.degraded')];
      if (can('operator')) headers.push(t('hotels.col.actions'));
      mount(body, h('div', { class: 'table-wrap cards' },
        h('table', { class: 'hotels-table' },
          h('caption', { class: 'sr-only' }, t('hotels.title')),
          h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
          h('tbody', {}, hotels.map((x) => hotelRow(x, refresh))))));
    } catch (e) {
      mount(body, errorBox(e));
    }
  };
  const tools = h('div', { class: 'toolbar' });
  if (can('admin')) {
    tools.appendChild(h('button', { type: 'button', class: 'primary', id: 'connect-pms',
      onclick: () => openOnboarding(refresh) }, t('hotels.connect')));
  }
  tools.appendChild(h('button', { type: 'button', onclick: refresh }, t('refresh')));
  mount(root, h('div', { class: 'screen-head' }, h('h1', {}, t('hotels.title')), tools), section(t('hotels.title'), body));
  root.querySelector('section h2').classList.add('sr-only');
  await refresh();
  return root;
}
