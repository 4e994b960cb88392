import { countSegments } from '../../src/domain/segments';

describe('countSegments', () => {
  it.each([
    ['', 'GSM-7', 0, 1],
    ['a'.repeat(160), 'GSM-7', 160, 1],
    ['a'.repeat(161), 'GSM-7', 161, 2],
    ['a'.repeat(306), 'GSM-7', 306, 2],
    ['a'.repeat(307), 'GSM-7', 307, 3],
    ['€'.repeat(80), 'GSM-7', 160, 1], // extension characters take two septets
    ['€'.repeat(81), 'GSM-7', 162, 2],
    ['氣'.repeat(70), 'UCS-2', 70, 1],
    ['氣'.repeat(71), 'UCS-2', 71, 2],
    ['氣'.repeat(134), 'UCS-2', 134, 2],
    ['氣'.repeat(135), 'UCS-2', 135, 3],
    ['😀'.repeat(35), 'UCS-2', 70, 1], // outside the BMP: two UTF-16 units each
    ['😀'.repeat(36), 'UCS-2', 72, 2],
  ])('%#: %s… is %s, %i units, %i segment(s)', (text, encoding, units, segments) => {
    expect(countSegments(text)).toMatchObject({ encoding, units, segments });
  });

  it('switches the whole text to UCS-2 for one Chinese character', () => {
    expect(countSegments(`${'a'.repeat(100)}氣`)).toMatchObject({ encoding: 'UCS-2', units: 101, segments: 2 });
  });

  it('never splits a surrogate pair across parts', () => {
    // 134 units would fit two 67-unit parts, but the emoji cannot straddle units 67/68, so it needs three.
    const text = `${'氣'.repeat(66)}😀${'氣'.repeat(66)}`;
    expect(countSegments(text)).toMatchObject({ units: 134, segments: 3 });
  });

  it('never splits a GSM escape sequence across parts', () => {
    // 306 septets would fit two 153-septet parts, but € (ESC + e) cannot straddle septets 153/154.
    const text = `${'a'.repeat(152)}€${'a'.repeat(152)}`;
    expect(countSegments(text)).toMatchObject({ encoding: 'GSM-7', units: 306, segments: 3 });
  });

  it('counts characters as people do', () => {
    expect(countSegments('幸福氣😀').characters).toBe(4);
  });
});
