// Building the page without markup strings (the CSP forbids nothing here, but
// text typed by applicants must never be parsed as HTML).

export const $ = (id) => document.getElementById(id);

/**
 * An element: `h('a', {href: '…', class: 'x'}, 'text', child)`. Attributes
 * starting with `on` are not supported on purpose: listeners are added in code.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces an element's children. */
export function fill(element, ...children) {
  element.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

/** Shows a notice with `text`, or hides it when `text` is empty. */
export function notice(element, text) {
  element.textContent = text || '';
  element.hidden = !text;
}

let announced = null;

/**
 * Says something to screen readers. What an operator did (a decision, an
 * erasure, a download) is also shown for a few seconds; what a view says of
 * itself (`{ quiet: true }`: a list's summary, rows added) is for assistive
 * technology only, since the view shows it already and a toast would cover it.
 */
export function announce(text, { quiet = false } = {}) {
  const status = $('console-status');
  status.textContent = '';
  status.classList.toggle('visually-hidden', quiet);
  clearTimeout(announced);
  // A change of text after a tick is announced even when it repeats.
  setTimeout(() => {
    status.textContent = text;
    announced = setTimeout(() => {
      status.textContent = '';
    }, 6000);
  }, 30);
}

/** Ends a shown announcement at once (a new view is under it). */
export function dismissAnnouncement() {
  clearTimeout(announced);
  $('console-status').textContent = '';
}

/** Moves focus to a heading or region without scrolling it away. */
export function focusOn(element) {
  if (!element) return;
  if (!element.hasAttribute('tabindex') && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(element.tagName)) {
    element.setAttribute('tabindex', '-1');
  }
  element.focus();
}
