// bookings.js — booking search and a booking's page: saga steps, the events
// other teams received, the payment (ours and the gateway's), compensations,
// and for operators a cancel with a confirmation step.
import { api } from './api.js';
import { h, mount, field, table } from './dom.js';
import { t, money, when } from './i18n.js';
import { can, errorBox, badge, busy, section, toast } from './ui.js';

const STATUS_KIND = { confirmed: 'ok', pending: 'info', cancelled: 'muted', failed: 'bad' };

function statusBadge(s) {
  return badge(t(`status.${s}`), `${STATUS_KIND[s] || ''} status`);
}

function bookingRow(b) {
  return h('tr', { dataset: { booking: b.bookingId } },
    h('td', { 'data-label': t('bookings.col.id') },
      h('a', { href: `#/bookings/${encodeURIComponent(b.bookingId)}`, class: 'mono' }, b.bookingId),
      b.confirmationNumber ? h('div', { class: 'small' }, b.confirmationNumber) : null,
      b.guestLastName ? h('div', { class: 'small' }, b.guestLastName) : null),
    h('td', { 'data-label': t('bookings.col.hotel') }, b.hotelId, h('div', { class: 'small' }, b.roomTypeId)),
    h('td', { 'data-label': t('bookings.col.stay') }, `${b.checkIn} → ${b.checkOut}`),
    h('td', { 'data-label': t('bookings.col.amount') }, money(b.amount, b.currency)),
    h('td', { 'data-label': t('bookings.col.status') }, statusBadge(b.status)),
    h('td', { 'data-label': t('bookings.col.payment') }, b.paymentStatus || '—'));
}

export async function bookingsScreen() {
  const inputs = {
    bookingId: h('input', { type: 'text', name: 'bookingId', maxlength: 40 }),
    confirmationNumber: h('input', { type: 'text', name: 'confirmationNumber', maxlength: 64 }),
    lastName: h('input', { type: 'text', name: 'lastName', maxlength: 100 }),
    hotelId: h('input', { type: 'text', name: 'hotelId', maxlength: 64 }),
    status: h('select', { name: 'status' }, h('option', { value: '' }, t('bookings.any')),
      ['pending', 'confirmed', 'cancelled', 'failed'].map((s) => h('option', { value: s }, t(`status.${s}`)))),
    from: h('input', { type: 'date', name: 'from' }),
    to: h('input', { type: 'date', name: 'to' }),
  };
  const results = h('div', {});
  const submit = h('button', { type: 'submit', class: 'primary' }, t('search'));
  const form = h('form', { class: 'card search', novalidate: true, role: 'search' },
    h('div', { class: 'grid4' },
      field(t('bookings.bookingId'), inputs.bookingId), field(t('bookings.confirmation'), inputs.confirmationNumber),
      field(t('bookings.lastName'), inputs.lastName), field(t('bookings.hotel'), inputs.hotelId),
      field(t('bookings.status'), inputs.status), field(t('bookings.from'), inputs.from), field(t('bookings.to'), inputs.to)),
    h('div', { class: 'buttons' }, submit));
  const run = () => busy(submit, async () => {
    const params = {};
    for (const [k, input] of Object.entries(inputs)) if (input.value.trim()) params[k] = input.value.trim();
    try {
      const page = await api.bookings(params);
      mount(results, page.items.length
        ? table(t('bookings.title'), [t('bookings.col.id'), t('bookings.col.hotel'), t('bookings.col.stay'),
          t('bookings.col.amount'), t('bookings.col.status'), t('bookings.col.payment')], page.items.map(bookingRow))
        : h('p', { class: 'empty' }, t('bookings.empty')),
        page.truncated ? h('p', { class: 'note' }, t('bookings.truncated')) : null);
    } catch (e) {
      mount(results, errorBox(e));
    }
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); run(); });
  const root = h('div', { class: 'screen bookings' }, h('h1', {}, t('bookings.title')), form, results);
  await run();
  return root;
}

function cancelControl(b, reload) {
  const box = h('div', { class: 'cancel-box' });
  const start = h('button', { type: 'button', class: 'danger', id: 'booking-cancel' }, t('booking.cancel'));
  const ask = () => {
    const reason = h('input', { type: 'text', name: 'reason', maxlength: 255, required: true });
    const confirm = h('button', { type: 'submit', class: 'danger', id: 'booking-cancel-confirm' }, t('booking.cancelConfirm'));
    const keep = h('button', { type: 'button', onclick: () => { mount(box, start); start.focus(); } }, t('booking.cancelKeep'));
    const msg = h('div', { class: 'msg' });
    const form = h('form', { class: 'confirm', novalidate: true, role: 'alertdialog', 'aria-label': t('booking.cancelAsk') },
      h('p', { class: 'warn' }, t('booking.cancelAsk')), field(t('booking.cancelReason'), reason), msg,
      h('div', { class: 'buttons' }, confirm, keep));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!reason.value.trim()) {
        reason.setAttribute('aria-invalid', 'true');
        reason.focus();
        return;
      }
      busy(confirm, async () => {
        try {
          await api.cancelBooking(b.bookingId, reason.value.trim());
          toast(t('booking.cancelled'));
          reload();
        } catch (e) { mount(msg, errorBox(e)); }
      });
    });
    mount(box, form);
    reason.focus();
  };
  start.addEventListener('click', ask);
  mount(box, start);
  return box;
}

function kv(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined).map(([k, v]) =>
    [h('dt', {}, k), h('dd', {}, v === null || v === '' ? '—' : v)]));
}

export async function bookingScreen(id) {
  const root = h('div', { class: 'screen booking' });
  const load = async () => {
    let b;
    try {
      b = await api.booking(id);
    } catch (e) {
      mount(root, h('a', { href: '#/bookings' }, t('booking.back')), errorBox(e));
      return;
    }
    const gw = b.payment && b.payment.gateway;
    mount(root,
      h('a', { href: '#/bookings', class: 'back' }, t('booking.back')),
      h('h1', {}, t('booking.title', { id: b.bookingId })),
      section(t('booking.summary'),
        kv([
          [t('bookings.col.status'), statusBadge(b.status)],
          [t('bookings.col.hotel'), `${b.hotelId} / ${b.roomTypeId}`],
          [t('bookings.col.stay'), `${b.checkIn} → ${b.checkOut}`],
          [t('bookings.col.amount'), money(b.amount, b.currency)],
          [t('bookings.confirmation'), b.confirmationNumber],
          [t('booking.guest'), b.guest ? `${b.guest.firstName || ''} ${b.guest.lastName || ''}`.trim() : null],
          [t('booking.saga'), b.saga ? `${b.saga.state} · ${b.saga.currentStep || ''}` : null],
          [t('booking.error'), b.error || null],
        ]),
        can('operator') && b.status === 'confirmed' ? cancelControl(b, load) : null),
      section(t('booking.steps'), table(t('booking.steps'),
        [t('booking.col.step'), t('booking.col.outcome'), t('booking.col.at'), t('booking.col.detail')],
        b.steps.map((s) => h('tr', {}, h('td', {}, s.step), h('td', {}, s.outcome), h('td', {}, when(s.at)), h('td', {}, s.detail || ''))))),
      section(t('booking.payment'), kv([
        [t('booking.payment'), b.payment ? b.payment.status : null],
        [t('booking.authId'), b.payment ? b.payment.authId : null],
        [t('booking.gateway'), gw ? t('booking.gatewayLine', { status: gw.status, amount: money(gw.amount, gw.currency),
          captured: money(gw.amountCaptured, gw.currency), refunded: money(gw.amountRefunded, gw.currency) }) : null],
      ])),
      section(t('booking.events'), table(t('booking.events'),
        [t('booking.col.type'), t('booking.col.topic'), t('booking.col.at'), t('booking.col.published')],
        b.events.map((e) => h('tr', {},
          h('td', {}, e.type, h('details', {}, h('summary', {}, t('booking.payload')), h('pre', {}, JSON.stringify(e.payload, null, 2)))),
          h('td', {}, e.topic), h('td', {}, when(e.createdAt)),
          h('td', {}, e.publishedAt ? when(e.publishedAt) : t('booking.notPublished')))))),
      b.compensations.length ? section(t('booking.compensations'), table(t('booking.compensations'),
        [t('comp.col.action'), t('comp.col.state'), t('comp.col.attempts'), t('comp.col.error')],
        b.compensations.map((c) => h('tr', {}, h('td', {}, c.action), h('td', {}, c.state), h('td', {}, String(c.attempts)), h('td', {}, c.lastError || ''))))) : null);
  };
  await load();
  return root;
}
