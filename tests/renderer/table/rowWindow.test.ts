import { describe, expect, it } from 'vitest';
import {
  MAX_SCROLL_HEIGHT,
  maxVirtualTop,
  physicalHeight,
  rowContentTop,
  rowRange,
  scrollScale,
  scrollTopFromVirtual,
  virtualTopFromScroll,
  virtualTopToShow,
  wheelPixels,
  type Geometry,
} from '../../../renderer/src/table/rowWindow.ts';

const small: Geometry = { rowCount: 1000, rowHeight: 26, viewportHeight: 520 };
const huge: Geometry = { rowCount: 5_000_000, rowHeight: 26, viewportHeight: 520 };

describe('rowWindow', () => {
  it('scrolls natively (scale 1) while the content fits the browser', () => {
    expect(physicalHeight(small)).toBe(26_000);
    expect(scrollScale(small)).toBe(1);
    expect(virtualTopFromScroll(2600, small)).toBe(2600);
    expect(rowContentTop(100, 2600, 2600, small, 30)).toBe(30 + 100 * 26);
  });

  it('scales the scrollbar past the height browsers allow', () => {
    expect(physicalHeight(huge)).toBe(MAX_SCROLL_HEIGHT);
    const scale = scrollScale(huge);
    expect(scale).toBeCloseTo((5_000_000 * 26 - 520) / (MAX_SCROLL_HEIGHT - 520), 6);
    // the bottom of the scrollbar is the last row
    const bottom = MAX_SCROLL_HEIGHT - 520;
    expect(virtualTopFromScroll(bottom, huge)).toBeCloseTo(maxVirtualTop(huge), 3);
    expect(rowRange(virtualTopFromScroll(bottom, huge), huge, 0).lastVisible).toBe(4_999_999);
    // and the two mappings invert each other
    expect(virtualTopFromScroll(scrollTopFromVirtual(1_000_000 * 26, huge), huge)).toBeCloseTo(1_000_000 * 26, 3);
  });

  it('renders the visible rows plus overscan, clamped', () => {
    expect(rowRange(0, small, 5)).toEqual({ first: 0, last: 24, firstVisible: 0, lastVisible: 19 });
    expect(rowRange(26 * 500 + 13, small, 2)).toEqual({ first: 498, last: 522, firstVisible: 500, lastVisible: 520 });
    expect(rowRange(1e12, small, 3)).toEqual({ first: 977, last: 999, firstVisible: 980, lastVisible: 999 });
    expect(rowRange(0, { rowCount: 0, rowHeight: 26, viewportHeight: 500 })).toEqual({ first: 0, last: -1, firstVisible: 0, lastVisible: -1 });
    expect(rowRange(0, { rowCount: 3, rowHeight: 26, viewportHeight: 500 }, 6)).toEqual({ first: 0, last: 2, firstVisible: 0, lastVisible: 2 });
  });

  it('places rows relative to the scroll position when scaled', () => {
    const virtualTop = 1_000_000 * 26;
    const scrollTop = scrollTopFromVirtual(virtualTop, huge);
    // row 1,000,000 sits right under the header, wherever the physical scroll is
    expect(rowContentTop(1_000_000, virtualTop, scrollTop, huge, 30)).toBeCloseTo(30 + scrollTop, 6);
    expect(rowContentTop(1_000_001, virtualTop, scrollTop, huge, 30)).toBeCloseTo(30 + scrollTop + 26, 6);
  });

  it('moves as little as needed to show a row, or centres it', () => {
    expect(virtualTopToShow(5, 0, small)).toBe(0);
    expect(virtualTopToShow(30, 0, small)).toBe(31 * 26 - 520);
    expect(virtualTopToShow(2, 26 * 10, small)).toBe(52);
    expect(virtualTopToShow(500, 0, small, 'start')).toBe(13_000);
    expect(virtualTopToShow(500, 0, small, 'center')).toBe(500 * 26 - (520 - 26) / 2);
    expect(virtualTopToShow(999, 0, small, 'start')).toBe(maxVirtualTop(small));
    expect(virtualTopToShow(1_000_000, 0, huge, 'center')).toBe(1_000_000 * 26 - 247);
  });

  it('converts wheel line and page modes to px', () => {
    expect(wheelPixels(100, 0, 26, 520)).toBe(100);
    expect(wheelPixels(3, 1, 26, 520)).toBe(78);
    expect(wheelPixels(1, 2, 26, 520)).toBe(520);
  });
});
