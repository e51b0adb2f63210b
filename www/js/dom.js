// dom.js: building elements safely. Every string goes in as text
// (textContent or attributes), never as HTML.

// h('tag.class#id', {attr: value, on: {click: fn}}, child, ...):
// children are nodes, strings (inserted as text) or arrays of those.
export function h(spec, attrs, ...children) {
    const m = /^([a-z0-9-]+)((?:[.#][\w-]+)*)$/i.exec(spec);
    const el = document.createElement(m ? m[1] : 'div');
    if (m && m[2]) {
        for (const part of m[2].match(/[.#][\w-]+/g)) {
            if (part[0] === '.') {
                el.classList.add(part.slice(1));
            } else {
                el.id = part.slice(1);
            }
        }
    }
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false) {
            continue;
        }
        if (k === 'on') {
            for (const [ev, fn] of Object.entries(v)) {
                el.addEventListener(ev, fn);
            }
        } else if (k === 'dataset') {
            Object.assign(el.dataset, v);
        } else if (k === 'text') {
            el.textContent = String(v);
        } else if (k in el && typeof v !== 'string') {
            el[k] = v;
        } else {
            el.setAttribute(k, v === true ? '' : String(v));
        }
    }
    append(el, children);
    return el;
}

function append(el, children) {
    for (const c of children) {
        if (c === null || c === undefined || c === false) {
            continue;
        }
        if (Array.isArray(c)) {
            append(el, c);
        } else if (c instanceof Node) {
            el.appendChild(c);
        } else {
            el.appendChild(document.createTextNode(String(c)));
        }
    }
}

// Replace the children of el.
export function fill(el, ...children) {
    el.replaceChildren();
    append(el, children);
    return el;
}

export function $(sel, root = document) {
    return root.querySelector(sel);
}

export function $$(sel, root = document) {
    return Array.from(root.querySelectorAll(sel));
}

// A table from column definitions [{label, value(row) -> node|string,
// num: bool}] and rows.
export function table(columns, rows, caption) {
    return h('div.table-wrap', {tabindex: 0, role: 'region',
                                'aria-label': caption || 'table'},
        h('table', {},
            caption ? h('caption', {}, caption) : null,
            h('thead', {}, h('tr', {}, columns.map((c) =>
                h('th' + (c.num ? '.num' : ''), {scope: 'col'}, c.label)))),
            h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c, i) =>
                h((i === 0 && c.rowHeader !== false ? 'th' : 'td') +
                  (c.num ? '.num' : ''),
                  i === 0 ? {scope: 'row', 'data-label': c.label}
                          : {'data-label': c.label},
                  c.value(r))))))));
}
