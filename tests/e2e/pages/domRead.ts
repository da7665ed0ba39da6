import type { Locator } from 'playwright-core';

/**
 * Reading many elements at once in the page. The functions passed to `evaluateAll` run in
 * the browser; the Node-side tsconfig has no DOM types, so elements are described here by
 * the little the page models read of them.
 */
interface ElementLike {
  textContent: string | null;
  scrollWidth: number;
  clientWidth: number;
  getAttribute(name: string): string | null;
  querySelector(selector: string): ElementLike | null;
}

/** An attribute of every element the locator matches, in document order. */
export function attributeOfAll(locator: Locator, name: string): Promise<(string | null)[]> {
  return locator.evaluateAll((nodes, attr) => nodes.map((n) => (n as unknown as ElementLike).getAttribute(attr)), name);
}

/** For every element: [an attribute, the trimmed text of a child (or of the element itself)]. */
export function attributeAndTextOfAll(locator: Locator, name: string, childSelector: string | null): Promise<[string, string][]> {
  return locator.evaluateAll(
    (nodes, args) =>
      nodes.map((n) => {
        const element = n as unknown as ElementLike;
        const source = args.child ? element.querySelector(args.child) : element;
        return [element.getAttribute(args.name) ?? '', (source?.textContent ?? '').trim()] as [string, string];
      }),
    { name, child: childSelector },
  );
}

/**
 * The elements whose text is wider than their box (so part of it is cut or hidden):
 * [an attribute, the text] of each.
 */
export function clippedOfAll(locator: Locator, name: string): Promise<[string, string][]> {
  return locator.evaluateAll(
    (nodes, attr) =>
      nodes
        .map((n) => n as unknown as ElementLike)
        .filter((element) => element.scrollWidth > element.clientWidth)
        .map((element) => [element.getAttribute(attr) ?? '', (element.textContent ?? '').trim()] as [string, string]),
    name,
  );
}
