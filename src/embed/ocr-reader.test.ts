import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { isSoukError } from '../errors.ts';
import type { ImageTextReader } from './embedder.ts';
import { createOcrReader, splitJoinedWords } from './ocr-reader.ts';

/** Whether fontconfig knows a font with Chinese glyphs (Debian: `apt-get install fonts-noto-cjk`). */
function hasCjkFont(): boolean {
  try {
    return execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
}

/** A white label with dark text lines, rendered by librsvg through sharp, as a JPEG. */
async function label(lines: string[], font: string): Promise<Buffer> {
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const text = lines
    .map(
      (line, i) =>
        `<text x="28" y="${72 + i * 76}" font-family="${font}" font-size="40" fill="#1a1a1a">${escape(line)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="${60 + lines.length * 76}">
    <rect width="100%" height="100%" fill="#ffffff"/>${text}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

describe('splitJoinedWords', () => {
  it('puts back spaces in long joined runs and leaves short ones alone', () => {
    assert.equal(splitJoinedWords('WaterproofHikingJacket'), 'Waterproof Hiking Jacket');
    assert.equal(splitJoinedWords('Breathable100%Nylon'), 'Breathable 100% Nylon');
    assert.equal(splitJoinedWords('USBCharger2000mAh'), 'USB Charger 2000mAh');
    assert.equal(splitJoinedWords('iPhone 15 A4'), 'iPhone 15 A4');
    assert.equal(splitJoinedWords('纯棉短袖T恤特价'), '纯棉短袖T恤特价');
  });
});

describe('OCR reader', () => {
  let reader: ImageTextReader;
  before(async () => {
    reader = await createOcrReader();
  });
  after(() => reader.close());

  it('identifies the bundled models and makes no vectors', () => {
    assert.equal(reader.id.provider, 'ocr');
    assert.equal(reader.id.model, 'ppocr-v4-ch');
    assert.equal(reader.id.dims, 0);
  });

  it('reads English and Chinese text, one line per line, in reading order', async (t) => {
    if (!hasCjkFont()) {
      t.skip('no CJK font: apt-get install fonts-noto-cjk');
      return;
    }
    const [english, chinese, mixed] = await reader.read([
      await label(['Waterproof Hiking Jacket', 'Breathable Nylon 100%'], 'DejaVu Sans'),
      await label(['防水透气冲锋衣', '纯棉短袖T恤 特价'], 'Noto Sans CJK SC'),
      await label(['登山背包 40L', 'Trail Backpack'], 'Noto Sans CJK SC'),
    ]);
    const englishLines = english!.split('\n');
    assert.equal(englishLines.length, 2, english);
    for (const word of ['Waterproof', 'Hiking', 'Jacket'])
      assert.match(englishLines[0]!, new RegExp(word, 'i'));
    for (const word of ['Breathable', 'Nylon', '100%']) assert.ok(englishLines[1]!.includes(word), english);
    const chineseLines = chinese!.split('\n');
    assert.equal(chineseLines.length, 2, chinese);
    assert.ok(chineseLines[0]!.includes('防水透气冲锋衣'), chinese);
    for (const word of ['纯棉', '短袖', '特价']) assert.ok(chineseLines[1]!.includes(word), chinese);
    assert.ok(mixed!.includes('登山背包'), mixed);
    assert.match(mixed!, /trail\s*backpack/i);
  });

  it('returns an empty string for an image without text', async () => {
    const blank = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    assert.deepEqual(await reader.read([blank]), ['']);
    assert.deepEqual(await reader.read([]), []);
  });

  it('rejects undecodable images with INVALID_IMAGE naming the position', async () => {
    const blank = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    await assert.rejects(reader.read([blank, Buffer.from('garbage')]), (error: unknown) => {
      assert.ok(isSoukError(error));
      assert.equal(error.code, 'INVALID_IMAGE');
      assert.equal(error.details.position, 1);
      return true;
    });
  });
});

describe('createOcrReader', () => {
  it('fails with MODEL_NOT_FOUND when model files are missing', async () => {
    await assert.rejects(
      createOcrReader({
        models: {
          detectionPath: '/nonexistent/det.onnx',
          recognitionPath: '/nonexistent/rec.onnx',
          dictionaryPath: '/nonexistent/keys.txt',
        },
      }),
      (error: unknown) => {
        assert.ok(isSoukError(error));
        assert.equal(error.code, 'MODEL_NOT_FOUND');
        assert.match(error.message, /det\.onnx/);
        return true;
      },
    );
  });

  it('refuses out-of-range options', async () => {
    await assert.rejects(createOcrReader({ minConfidence: 2 }), RangeError);
    await assert.rejects(createOcrReader({ maxSide: 8 }), RangeError);
  });
});
