/** Attributes of {@link h}: strings and numbers become attributes, functions `on…` become listeners. */
export type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;
/** A child of {@link h}: nodes and text; false, null and undefined are skipped. */
export type Child = Node | string | number | false | null | undefined | Child[];

/**
 * Creates an element: `h('button', { class: 'btn', onclick: go }, 'Pause')`. Text children are text nodes, never
 * HTML, so data from the server cannot inject markup.
 */
export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el: Element, children: Child[]): void {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(typeof child === 'number' ? String(child) : child);
  }
}

/** Parses an SVG string made by `charts.ts` (whose text is escaped) into an element. */
export function svgNode(markup: string): Element {
  const template = document.createElement('template');
  template.innerHTML = markup;
  return template.content.firstElementChild as Element;
}
