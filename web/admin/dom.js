// dom.js — builds elements without ever parsing markup: every string given
// as a child becomes a text node, so text from the server (a hotel name from
// the PMS, an error message) is shown as text, never run or rendered as HTML.

// h('button', {class: 'primary', onclick: fn, disabled: true}, 'Save', child…)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// Replaces el's children.
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let seq = 0;
// A unique id for label/for pairs.
export function uid(prefix) {
  seq += 1;
  return `${prefix}-${seq}`;
}

// A labelled control: field(label, input[, hint[, extra class]]) → <div class=field><label for>…</label>input</div>
export function field(label, input, hint, cls) {
  if (!input.id) input.id = uid('f');
  const hintEl = hint ? h('small', { class: 'hint', id: `${input.id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: cls ? `field ${cls}` : 'field' }, h('label', { for: input.id }, label), input, hintEl);
}

// A table wrapped so that it scrolls sideways on a narrow screen.
export function table(caption, headers, rows) {
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h('table', {},
      h('caption', { class: 'sr-only' }, caption),
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)));
}
