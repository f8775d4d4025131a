// ops.js — compensations (retry now), reconciliation (a hotel and a date
// range against the PMS and the payment ledger) and the audit log.
import { api } from './api.js';
import { h, mount, field, table } from './dom.js';
import { t, money, when } from './i18n.js';
import { can, errorBox, badge, busy, toast, isoDay } from './ui.js';

export async function compensationsScreen() {
  const state = h('select', { name: 'state' }, ['pending', 'stuck', 'all'].map((s) => h('option', { value: s }, t(`comp.state.${s}`))));
  const results = h('div', {});
  const load = async () => {
    try {
      const items = await api.compensations({ state: state.value });
      const headers = [t('comp.col.id'), t('comp.col.booking'), t('comp.col.action'), t('comp.col.state'),
        t('comp.col.attempts'), t('comp.col.error')];
      if (can('operator')) headers.push('');
      mount(results, items.length ? table(t('comp.title'), headers, items.map((c) => {
        let retry = null;
        if (can('operator') && c.state === 'pending') {
          retry = h('button', { type: 'button', class: 'retry' }, t('comp.retry'));
          retry.addEventListener('click', () => busy(retry, async () => {
            try {
              const r = await api.retryCompensation(c.compensationId);
              toast(t('comp.retried', { state: r.state }));
              load();
            } catch (e) { toast(e.message); }
          }));
        }
        return h('tr', { dataset: { compensation: c.compensationId } },
          h('td', { class: 'mono' }, c.compensationId),
          h('td', {}, h('a', { href: `#/bookings/${encodeURIComponent(c.bookingId)}`, class: 'mono' }, c.bookingId),
            h('div', { class: 'small' }, c.hotelId || '')),
          h('td', {}, c.action, c.amount != null ? h('div', { class: 'small' }, money(c.amount, c.currency)) : null),
          h('td', {}, badge(c.stuck ? t('comp.state.stuck') : c.state === 'done' ? 'done' : t('comp.state.pending'),
            c.stuck ? 'bad' : c.state === 'done' ? 'ok' : 'info')),
          h('td', {}, String(c.attempts), c.nextAttemptAt ? h('div', { class: 'small' }, when(c.nextAttemptAt)) : null),
          h('td', { class: 'small' }, c.lastError || ''),
          can('operator') ? h('td', {}, retry) : null);
      })) : h('p', { class: 'empty' }, t('comp.empty')));
    } catch (e) {
      mount(results, errorBox(e));
    }
  };
  state.addEventListener('change', load);
  await load();
  return h('div', { class: 'screen compensations' }, h('h1', {}, t('comp.title')),
    h('div', { class: 'card toolbar-form' }, field(t('comp.state'), state),
      h('button', { type: 'button', onclick: load }, t('refresh'))), results);
}

export async function reconcileScreen() {
  const hotel = h('select', { name: 'hotelId', required: true });
  try {
    const hotels = await api.hotels();
    mount(hotel, hotels.map((x) => h('option', { value: x.hotelId }, x.name ? `${x.name} (${x.hotelId})` : x.hotelId)));
  } catch (e) {
    return h('div', { class: 'screen' }, errorBox(e));
  }
  const from = h('input', { type: 'date', name: 'from', value: isoDay(0), required: true });
  const to = h('input', { type: 'date', name: 'to', value: isoDay(30), required: true });
  const other = h('input', { type: 'checkbox', name: 'includeOtherChannels' });
  const run = h('button', { type: 'submit', class: 'primary', id: 'rec-run' }, t('rec.run'));
  const results = h('div', { class: 'rec-results', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', novalidate: true },
    h('div', { class: 'grid4' }, field(t('rec.hotel'), hotel, null, 'span2'), field(t('rec.from'), from), field(t('rec.to'), to)),
    h('label', { class: 'check' }, other, h('span', {}, t('rec.other'))),
    h('div', { class: 'buttons' }, run));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(run, async () => {
      mount(results, h('p', { class: 'loading' }, t('loading')));
      try {
        const r = await api.reconcile({ hotelId: hotel.value, from: from.value, to: to.value,
          includeOtherChannels: other.checked ? 'true' : undefined });
        const checked = r.checked ? h('p', { class: 'small' }, t('rec.checked', { b: r.checked.bookings ?? 0, r: r.checked.reservations ?? 0, p: r.checked.payments ?? 0 })) : null;
        if (!r.mismatches.length) {
          mount(results, h('p', { class: 'ok-text rec-ok' }, t('rec.ok')), checked);
          return;
        }
        mount(results, checked, table(t('rec.title'),
          [t('rec.col.kind'), t('rec.col.ids'), t('rec.col.ours'), t('rec.col.theirs'), t('rec.col.action')],
          r.mismatches.map((m) => h('tr', { class: 'mismatch', dataset: { kind: m.kind } },
            h('td', {}, badge(t(`rec.kind.${m.kind}`), 'bad wrap')),
            h('td', { class: 'mono small' }, [m.bookingId, m.reservationId, m.paymentId].filter(Boolean).join(' · ')),
            h('td', {}, m.ours || ''), h('td', {}, m.theirs || ''), h('td', {}, m.action)))));
      } catch (e) {
        mount(results, errorBox(e));
      }
    });
  });
  return h('div', { class: 'screen reconcile' }, h('h1', {}, t('rec.title')), form, results);
}

export async function auditScreen() {
  const hotel = h('input', { type: 'text', name: 'hotelId', maxlength: 64 });
  const results = h('div', {});
  const load = async () => {
    try {
      const rows = await api.audit({ hotelId: hotel.value.trim(), limit: 200 });
      mount(results, rows.length ? table(t('audit.title'),
        [t('audit.col.at'), t('audit.col.who'), t('audit.col.action'), t('audit.col.target'), t('audit.col.detail'), t('audit.col.from')],
        rows.map((a) => h('tr', {},
          h('td', { class: 'nowrap' }, when(a.at)),
          h('td', {}, a.actorDisplay || a.actorId, h('div', { class: 'small' }, a.actorKind)),
          h('td', { class: 'mono' }, a.action),
          h('td', { class: 'anywhere' }, [a.hotelId, a.bookingId].filter(Boolean).join(' · ')),
          h('td', { class: 'small mono anywhere detail-cell' }, a.detail ? JSON.stringify(a.detail) : ''),
          h('td', { class: 'small' }, a.remoteAddress || ''))))
        : h('p', { class: 'empty' }, t('audit.empty')));
    } catch (e) {
      mount(results, errorBox(e));
    }
  };
  const form = h('form', { class: 'card toolbar-form', novalidate: true }, field(t('audit.hotel'), hotel),
    h('button', { type: 'submit' }, t('search')));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  await load();
  return h('div', { class: 'screen audit' }, h('h1', {}, t('audit.title')), form, results);
}
