/**
 * Which rows a fixed-row-height grid shows for a scroll position, for any number of rows.
 * Browsers cap an element's height (Chromium near 33.5 million px, Firefox near 17.9
 * million), and 5 million rows of 26 px are 130 million; so past `MAX_SCROLL_HEIGHT` the
 * scrollbar works on a scaled-down copy of the content: the "virtual" offset (rows × row
 * height) is the physical scrollTop times `scale`. Below the cap the scale is 1 and rows
 * sit at their natural place, so the browser's own scrolling stays perfectly smooth.
 */

/** Tallest scrollable content we ask the browser for, in CSS px. */
export const MAX_SCROLL_HEIGHT = 8_000_000;

export interface Geometry {
  rowCount: number;
  rowHeight: number;
  /** Height of the rows' viewport (the scroll container minus the sticky header). */
  viewportHeight: number;
}

interface RowRange {
  /** First and last row to render (inclusive), overscan included; last < first when there are none. */
  first: number;
  last: number;
  /** First and last row at least partly on screen. */
  firstVisible: number;
  lastVisible: number;
}

/** Height of the whole content in virtual px. */
function virtualHeight(g: Geometry): number {
  return g.rowCount * g.rowHeight;
}

/** Height of the scrollable content we render (the spacer). */
export function physicalHeight(g: Geometry): number {
  return Math.min(virtualHeight(g), MAX_SCROLL_HEIGHT);
}

/** Largest virtual offset: the last row's bottom at the viewport's bottom. */
export function maxVirtualTop(g: Geometry): number {
  return Math.max(0, virtualHeight(g) - g.viewportHeight);
}

/** Virtual px per physical px of scrolling (1 below the cap). */
export function scrollScale(g: Geometry): number {
  const physicalRange = physicalHeight(g) - g.viewportHeight;
  const virtualRange = maxVirtualTop(g);
  if (physicalRange <= 0 || virtualRange <= physicalRange) return 1;
  return virtualRange / physicalRange;
}

export function clampVirtualTop(top: number, g: Geometry): number {
  return Math.min(Math.max(0, top), maxVirtualTop(g));
}

export function virtualTopFromScroll(scrollTop: number, g: Geometry): number {
  return clampVirtualTop(scrollTop * scrollScale(g), g);
}

export function scrollTopFromVirtual(virtualTop: number, g: Geometry): number {
  return clampVirtualTop(virtualTop, g) / scrollScale(g);
}

/** The rows to render at a virtual offset, with `overscan` extra rows each side. */
export function rowRange(virtualTop: number, g: Geometry, overscan = 6): RowRange {
  if (g.rowCount <= 0 || g.rowHeight <= 0) return { first: 0, last: -1, firstVisible: 0, lastVisible: -1 };
  const top = clampVirtualTop(virtualTop, g);
  const firstVisible = Math.min(g.rowCount - 1, Math.floor(top / g.rowHeight));
  const lastVisible = Math.min(g.rowCount - 1, Math.max(firstVisible, Math.ceil((top + g.viewportHeight) / g.rowHeight) - 1));
  return { first: Math.max(0, firstVisible - overscan), last: Math.min(g.rowCount - 1, lastVisible + overscan), firstVisible, lastVisible };
}

/**
 * Where a row is drawn, in px from the top of the scroll content, below a header of
 * `headerHeight`: with scale 1 this is its natural place; otherwise it is placed relative
 * to the current scroll position so that the screen shows the virtual window.
 */
export function rowContentTop(row: number, virtualTop: number, scrollTop: number, g: Geometry, headerHeight: number): number {
  const top = clampVirtualTop(virtualTop, g);
  return headerHeight + scrollTop + (row * g.rowHeight - top);
}

/**
 * The virtual offset that shows `row`: unchanged when it is already fully visible
 * (`auto`), else the least movement; `center` puts it mid-screen; `start` at the top.
 */
export function virtualTopToShow(row: number, currentTop: number, g: Geometry, align: 'auto' | 'center' | 'start' = 'auto'): number {
  const rowTop = row * g.rowHeight;
  const rowBottom = rowTop + g.rowHeight;
  if (align === 'start') return clampVirtualTop(rowTop, g);
  if (align === 'center') return clampVirtualTop(rowTop - (g.viewportHeight - g.rowHeight) / 2, g);
  if (rowTop < currentTop) return clampVirtualTop(rowTop, g);
  if (rowBottom > currentTop + g.viewportHeight) return clampVirtualTop(rowBottom - g.viewportHeight, g);
  return clampVirtualTop(currentTop, g);
}

/** A wheel event's vertical movement in px (line and page modes converted). */
export function wheelPixels(deltaY: number, deltaMode: number, rowHeight: number, viewportHeight: number): number {
  if (deltaMode === 1) return deltaY * rowHeight;
  if (deltaMode === 2) return deltaY * viewportHeight;
  return deltaY;
}
