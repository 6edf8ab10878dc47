/** The element with this id; a missing one is a bug in index.html. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no #${id}`);
  return element as T;
}

type Child = Node | string | number | null | undefined | false;

/** A new element with attributes (or properties for `class`/`hidden`) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attributes: Record<string, string | number | boolean> = {}, ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export const format = {
  count: (n: number) => n.toLocaleString('en-US'),
  percent: (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`,
  ratio: (x: number) => x.toFixed(3),
  score: (x: number) => (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toPrecision(4)),
  bytes: (n: number) => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`),
};

/** A container that draws its chart at its own width, and again whenever that width changes. */
export class ChartSlot {
  private draw: ((width: number) => Element) | null = null;
  private width = 0;

  constructor(private readonly element: HTMLElement) {
    new ResizeObserver(() => {
      if (this.draw && Math.floor(element.clientWidth) !== this.width) this.render();
    }).observe(element);
  }

  show(draw: (width: number) => Element): void {
    this.draw = draw;
    this.render();
  }

  clear(): void {
    this.draw = null;
    this.element.replaceChildren();
  }

  private render(): void {
    if (!this.draw) return;
    this.width = Math.floor(this.element.clientWidth);
    this.element.replaceChildren(this.draw(Math.max(240, this.width)));
  }
}

/** A `<dl>` of label/value tiles, each pair in a `<div>`, the value's `<dd>` with an id for tests. */
export function tiles(list: HTMLElement, items: readonly [id: string, label: string, value: string][]): void {
  list.replaceChildren(...items.map(([id, label, value]) => h('div', {}, h('dt', {}, label), h('dd', { id }, value))));
}

/** Calls `handle` with the file chosen in a file input, and clears the input so the same file can be chosen again. */
export function onFileChosen(id: string, handle: (file: File) => void): void {
  const input = byId<HTMLInputElement>(id);
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    input.value = '';
    if (file) handle(file);
  });
}
