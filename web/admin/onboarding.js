// onboarding.js — the "Connect PMS" dialog: vendor, the hotel's id at the
// PMS and its per-hotel credential (a password field; the key goes only to
// our own API and is never shown back) → Fetch (the server asks the PMS) →
// a preview that fills an editable form → Save (one request at a time) →
// the hotel as the booking site now sees it.
import { api } from './api.js';
import { h, mount, field, uid } from './dom.js';
import { t, money } from './i18n.js';
import { errorBox, busy, badge, isoDay } from './ui.js';

const LIVE_NIGHTS = 7;

// Only http(s) images from the PMS are shown.
function safeUrl(u) {
  try {
    const url = new URL(u, location.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

function photoStrip(photos, alt) {
  const imgs = (photos || []).map((p) => safeUrl(p.thumbnailUrl || p.url)).filter(Boolean).slice(0, 6);
  if (!imgs.length) return null;
  return h('div', { class: 'photos' }, imgs.map((src) => {
    const img = h('img', { src, alt: alt || '', loading: 'lazy', referrerpolicy: 'no-referrer', width: 96, height: 64 });
    // a photo the browser cannot load (the PMS's host unreachable) leaves a labelled gap
    img.addEventListener('error', () => img.replaceWith(h('span', { class: 'photo-missing', title: src }, alt || '')));
    return img;
  }));
}

function inventoryGrid(preview) {
  const nights = (preview.roomTypes[0] && preview.roomTypes[0].nights) || [];
  const head = h('tr', {}, h('th', { scope: 'col' }, t('onb.roomName')),
    nights.map((n) => h('th', { scope: 'col', title: n.date }, n.date.slice(8))));
  const rows = preview.roomTypes.map((rt) => h('tr', {},
    h('th', { scope: 'row' }, rt.name),
    rt.nights.map((n) => {
      const cls = n.available === 0 ? 'none' : n.available * 4 <= n.total ? 'low' : 'ok';
      return h('td', { class: `inv ${cls}`, title: `${n.date}: ${n.available}/${n.total} · ${money(n.price, preview.currency)}` },
        String(n.available));
    })));
  return h('div', { class: 'table-wrap grid-wrap', tabindex: 0, role: 'region', 'aria-label': t('onb.grid') },
    h('table', { class: 'inv-grid' }, h('caption', {}, t('onb.grid')), h('thead', {}, head), h('tbody', {}, rows)));
}

function roomTypeCard(rt, currency) {
  const sell = h('input', { type: 'checkbox', checked: true, name: 'sell', value: rt.roomTypeId });
  const name = h('input', { type: 'text', value: rt.name, maxlength: 255, name: 'roomName' });
  const card = h('li', { class: 'room-type', dataset: { roomType: rt.roomTypeId } },
    h('div', { class: 'rt-head' },
      h('label', { class: 'check' }, sell, h('span', {}, t('onb.sell'))),
      h('span', { class: 'rt-title' }, rt.name), h('span', { class: 'small mono' }, rt.roomTypeId)),
    h('div', { class: 'rt-facts' },
      badge(t('onb.maxOccupancy', { n: rt.maxOccupancy }), 'info occupancy'),
      badge(t('onb.rooms', { n: rt.totalRooms }), 'info rooms'),
      badge(t('onb.avgPrice', { price: money(rt.averagePrice, currency) }), 'info price')),
    photoStrip(rt.photos, rt.name),
    field(t('onb.roomName'), name));
  return { card, sell, name, roomTypeId: rt.roomTypeId };
}

function text(value, attrs) {
  return h('input', { type: 'text', value: value ?? '', ...attrs });
}

// The property settings the PMS connector needs, as a checklist: each
// check in plain words (its server message when this page has no words for
// it) and whether it is set, missing or could not be told.
const SETUP_MARK = { ok: '✓', missing: '✗', unknown: '?' };
function setupChecklist(checks) {
  if (!checks || !checks.length) return null;
  const words = (key, fallback) => { const s = t(key); return s === key ? fallback : s; };
  const missing = checks.some((c) => c.state === 'missing');
  return h('div', { class: 'setup-checks' },
    h('h3', {}, t('onb.setup')),
    h('ul', { class: 'checklist' }, checks.map((c) => h('li', { class: `setup-${c.state}`, dataset: { check: c.id, state: c.state } },
      h('span', { class: 'mark', 'aria-hidden': 'true' }, SETUP_MARK[c.state] || '?'),
      h('span', { class: 'setup-label' }, words(`onb.setup.${c.id}`, c.message)),
      ' ',
      badge(t(`onb.setup.state.${c.state}`), `setup-state ${c.state}`)))),
    missing ? h('p', { class: 'warn setup-blocked', role: 'alert' }, t('onb.setup.blocked')) : null);
}

// The preview and the editable form; returns {el, collect()}. For a hotel
// onboarded before, `saved` (its state as saved) keeps the operator's earlier
// choices: the listing's edited fields, the room types sold and their names,
// polling; the facts from the PMS are shown as they are now.
function previewForm(preview, saved) {
  const listing = (saved && saved.listing) || {};
  const pick = (k) => (listing[k] !== undefined && listing[k] !== null ? listing[k] : preview[k]);
  const f = {
    name: text(pick('name'), { name: 'name', maxlength: 255, required: true }),
    address: text(pick('address'), { name: 'address', maxlength: 512 }),
    city: text(pick('city'), { name: 'city', maxlength: 128 }),
    country: text(pick('country'), { name: 'country', maxlength: 2, pattern: '[A-Z]{2}', autocapitalize: 'characters' }),
    latitude: h('input', { type: 'number', step: 'any', min: -90, max: 90, name: 'latitude', value: pick('latitude') ?? '' }),
    longitude: h('input', { type: 'number', step: 'any', min: -180, max: 180, name: 'longitude', value: pick('longitude') ?? '' }),
    currency: text(preview.currency, { name: 'currency', readonly: true }),
    timezone: text(pick('timezone'), { name: 'timezone', maxlength: 64 }),
  };
  const sold = saved && Array.isArray(saved.roomTypes) && saved.roomTypes.length ? saved.roomTypes : null;
  const rooms = preview.roomTypes.map((rt) => {
    const r = roomTypeCard(rt, preview.currency);
    if (sold) {
      const was = sold.find((x) => x.roomTypeId === rt.roomTypeId);
      r.sell.checked = !!was;
      if (was && was.name) r.name.value = was.name;
    }
    return r;
  });
  const polling = (saved && saved.polling) || {};
  const pollingOn = h('input', { type: 'checkbox', checked: saved ? !!polling.enabled : true, name: 'pollingEnabled' });
  const interval = h('input', { type: 'number', min: 30, max: 86400, step: 1, value: polling.intervalSeconds || 300,
    name: 'pollingIntervalSeconds', disabled: saved ? !polling.enabled : false });
  pollingOn.addEventListener('change', () => { interval.disabled = !pollingOn.checked; });
  const facts = h('dl', { class: 'facts' },
    h('dt', {}, t('onb.name')), h('dd', { class: 'preview-name' }, preview.name),
    h('dt', {}, t('onb.address')), h('dd', {}, [preview.address, preview.city, preview.country].filter(Boolean).join(', ') || '—'),
    h('dt', {}, `${t('onb.latitude')} / ${t('onb.longitude')}`),
    h('dd', {}, preview.latitude != null ? `${preview.latitude}, ${preview.longitude}` : '—'),
    h('dt', {}, t('onb.currency')), h('dd', { class: 'preview-currency' }, preview.currency),
    h('dt', {}, t('onb.timezone')), h('dd', { class: 'preview-timezone' }, preview.timezone || '—'));
  const el = h('div', { class: 'preview' },
    h('h3', {}, t('onb.preview')),
    preview.onboarded ? h('p', { class: 'note' }, t('onb.onboarded')) : null,
    setupChecklist(preview.setupChecks),
    facts,
    photoStrip(preview.photos, preview.name),
    h('h3', {}, t('onb.roomTypes')),
    h('ul', { class: 'room-types' }, rooms.map((r) => r.card)),
    inventoryGrid(preview),
    h('fieldset', { class: 'listing' }, h('legend', {}, t('onb.listing')),
      h('div', { class: 'grid2' },
        field(t('onb.name'), f.name), field(t('onb.address'), f.address),
        field(t('onb.city'), f.city), field(t('onb.country'), f.country),
        field(t('onb.latitude'), f.latitude), field(t('onb.longitude'), f.longitude),
        field(t('onb.currency'), f.currency), field(t('onb.timezone'), f.timezone))),
    h('fieldset', { class: 'polling' }, h('legend', {}, t('onb.polling')),
      h('label', { class: 'check' }, pollingOn, h('span', {}, t('onb.pollingEnabled'))),
      field(t('onb.pollingInterval'), interval)));
  const num = (input) => (input.value.trim() === '' ? null : Number(input.value));
  const opt = (input) => (input.value.trim() === '' ? null : input.value.trim());
  return {
    el,
    inputs: { ...f, pollingIntervalSeconds: interval, pollingEnabled: pollingOn },
    collect() {
      return {
        name: f.name.value.trim(),
        address: opt(f.address),
        city: opt(f.city),
        country: opt(f.country) ? f.country.value.trim().toUpperCase() : null,
        latitude: num(f.latitude),
        longitude: num(f.longitude),
        currency: f.currency.value,
        timezone: opt(f.timezone),
        roomTypes: rooms.filter((r) => r.sell.checked)
          .map((r) => ({ roomTypeId: r.roomTypeId, name: r.name.value.trim() || undefined })),
        pollingEnabled: pollingOn.checked,
        pollingIntervalSeconds: Number(interval.value),
      };
    },
  };
}

// After Save: the hotel as a guest's booking site sees it (public read API).
async function liveView(vendor, hotelId, saved) {
  const box = h('div', { class: 'live' });
  const from = isoDay(0);
  const to = isoDay(LIVE_NIGHTS - 1);
  const parts = [h('h3', {}, t('onb.live'))];
  try {
    const rts = await api.roomTypes(vendor, hotelId);
    parts.push(h('p', { class: 'live-room-types' }, t('onb.liveRoomTypes', { n: rts.roomTypes.length })));
  } catch (e) { parts.push(errorBox(e)); }
  const rows = [];
  for (const rt of saved.roomTypes) {
    try {
      const inv = await api.inventory({ vendor, hotelId, roomTypeId: rt.roomTypeId, from, to });
      rows.push(h('tr', { dataset: { roomType: rt.roomTypeId } }, h('th', { scope: 'row' }, rt.name),
        inv.nights.map((n) => h('td', { class: 'inv', title: n.date }, `${n.available}/${n.total}`))));
    } catch (e) {
      rows.push(h('tr', {}, h('th', { scope: 'row' }, rt.name), h('td', { colspan: LIVE_NIGHTS }, errorBox(e))));
    }
  }
  const days = Array.from({ length: LIVE_NIGHTS }, (_, i) => isoDay(i));
  parts.push(h('div', { class: 'table-wrap' }, h('table', { class: 'live-grid' },
    h('caption', { class: 'sr-only' }, t('onb.live')),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('onb.roomName')), days.map((d) => h('th', { scope: 'col' }, d.slice(5))))),
    h('tbody', {}, rows))));
  mount(box, ...parts);
  return box;
}

// Marks the input the server named (field "roomTypes[2].roomTypeId" → none) and focuses it.
function markField(inputs, name) {
  for (const input of Object.values(inputs)) input.removeAttribute('aria-invalid');
  if (!name) return;
  const input = inputs[name];
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

export async function openOnboarding(onSaved) {
  const dialog = h('dialog', { class: 'onboarding', 'aria-labelledby': 'onb-title' });
  const close = () => { dialog.close(); dialog.remove(); };
  dialog.addEventListener('close', () => dialog.remove());
  const msg = h('div', { class: 'msg', id: uid('msg') });
  const body = h('div', { class: 'onb-body' });
  mount(dialog,
    h('div', { class: 'dialog-head' },
      h('h2', { id: 'onb-title' }, t('onb.title')),
      h('button', { type: 'button', class: 'link close', onclick: close, 'aria-label': t('close') }, '✕')),
    body);
  document.body.appendChild(dialog);
  dialog.showModal();

  let vendors = [];
  try {
    vendors = await api.vendors();
  } catch (e) {
    mount(body, errorBox(e));
    return;
  }
  const vendorSel = h('select', { name: 'vendor' }, vendors.map((v) =>
    h('option', { value: v.vendor, selected: v.default }, v.name)));
  const hotelId = h('input', { type: 'text', name: 'hotelId', required: true, maxlength: 64,
    pattern: '[A-Za-z0-9_.\\-]{1,64}', autocomplete: 'off', spellcheck: 'false' });
  const hotelField = h('div', {});
  const creds = h('div', { class: 'creds' });
  let credInputs = {};
  const renderVendor = () => {
    const v = vendors.find((x) => x.vendor === vendorSel.value) || vendors[0];
    mount(hotelField, field(t('onb.hotelId', { label: v ? v.hotelIdLabel : '' }), hotelId));
    credInputs = {};
    mount(creds, (v ? v.credentials : []).map((c) => {
      const input = h('input', { type: c.secret ? 'password' : 'text', name: c.field, autocomplete: 'off',
        maxlength: 512, spellcheck: 'false' });
      credInputs[c.field] = input;
      return field(c.label, input, c.secret ? t('onb.secretHint') : null);
    }));
  };
  vendorSel.addEventListener('change', renderVendor);
  renderVendor();
  const fetchBtn = h('button', { type: 'submit', class: 'primary', id: 'onb-fetch' }, t('onb.fetch'));
  const connect = h('form', { class: 'connect', novalidate: true },
    field(t('onb.vendor'), vendorSel), hotelField, creds, fetchBtn);
  const previewBox = h('div', {});
  mount(body, connect, msg, previewBox);
  setTimeout(() => hotelId.focus(), 0);

  const credentials = () => {
    const out = {};
    for (const [k, input] of Object.entries(credInputs)) if (input.value !== '') out[k] = input.value;
    return out;
  };
  const allInputs = () => ({ vendor: vendorSel, hotelId, ...credInputs });

  connect.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(fetchBtn, async () => {
      mount(msg, h('p', { class: 'loading' }, t('onb.fetching')));
      mount(previewBox);
      markField(allInputs(), null);
      const req = { vendor: vendorSel.value, hotelId: hotelId.value.trim(), ...credentials() };
      let preview;
      try {
        preview = await api.preview(req);
      } catch (e) {
        mount(msg, errorBox(e));
        markField(allInputs(), e.field);
        return;
      }
      let saved = null;
      if (preview.onboarded) {
        try { saved = await api.hotel(preview.hotelId); } catch { saved = null; /* the PMS's data then */ }
      }
      mount(msg);
      for (const input of Object.values(credInputs)) {
        if (preview.keyStored && input.type === 'password' && input.value === '') input.placeholder = t('onb.keyStored');
      }
      showPreview(preview, req, saved);
    });
  });

  function showPreview(preview, req, saved) {
    const form = previewForm(preview, saved);
    const saveMsg = h('div', { class: 'msg' });
    const save = h('button', { type: 'submit', class: 'primary', id: 'onb-save' }, t('onb.save'));
    const wrapper = h('form', { class: 'save', novalidate: true }, form.el, saveMsg, h('div', { class: 'buttons' }, save));
    mount(previewBox, wrapper);
    let inFlight = false;
    wrapper.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (inFlight) return; // a double click: the first request is the only one
      const listing = form.collect();
      if (!listing.roomTypes.length) {
        mount(saveMsg, h('div', { class: 'error', role: 'alert' }, t('onb.pickOne')));
        return;
      }
      inFlight = true;
      save.disabled = true;
      save.textContent = t('onb.saving');
      mount(saveMsg);
      markField({ ...form.inputs, ...allInputs() }, null);
      try {
        const saved = await api.saveListing({ vendor: req.vendor, hotelId: preview.hotelId, ...credentials(), ...listing });
        for (const input of Object.values(credInputs)) input.value = '';
        const live = await liveView(req.vendor, preview.hotelId, saved);
        mount(previewBox, h('div', { class: 'saved' },
          h('p', { class: 'ok-text', role: 'status' }, t(saved.created ? 'onb.saved.created' : 'onb.saved.updated')),
          h('p', { class: 'saved-name' }, saved.listing.name),
          h('p', { class: 'small' }, t('onb.nightsSaved', { n: saved.nightsSaved })),
          live,
          h('div', { class: 'buttons' },
            h('button', { type: 'button', onclick: () => { mount(previewBox); hotelId.focus(); } }, t('onb.another')),
            h('button', { type: 'button', class: 'primary', onclick: close }, t('close')))));
        if (onSaved) onSaved();
      } catch (e) {
        mount(saveMsg, errorBox(e));
        const name = e.field && e.field.startsWith('roomTypes') ? null : e.field;
        markField({ ...form.inputs, ...allInputs() }, name);
        save.disabled = false;
        save.textContent = t('onb.save');
      } finally {
        inFlight = false;
      }
    });
  }
}
