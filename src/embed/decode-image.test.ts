import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp, { type Sharp } from 'sharp';
import { isSoukError, type SoukErrorCode } from '../errors.ts';
import { DEFAULT_IMAGE_LIMITS, decodeImage, decodeImageToFit, sniffImageType } from './decode-image.ts';

/** A 40×20 picture: left half red, right half blue. */
async function halves(): Promise<Sharp> {
  const raw = Buffer.alloc(40 * 20 * 3);
  for (let y = 0; y < 20; y++) {
    for (let x = 0; x < 40; x++) {
      const at = (y * 40 + x) * 3;
      if (x < 20) raw[at] = 255;
      else raw[at + 2] = 255;
    }
  }
  return sharp(raw, { raw: { width: 40, height: 20, channels: 3 } });
}

async function rejectsWith(promise: Promise<unknown>, code: SoukErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isSoukError(error), `expected a SoukError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

function pixel(image: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const at = (y * image.width + x) * 3;
  return [...image.data.subarray(at, at + 3)];
}

describe('sniffImageType', () => {
  it('names the accepted types by their signatures', async () => {
    const image = await halves();
    assert.equal(sniffImageType(await image.clone().jpeg().toBuffer()), 'jpeg');
    assert.equal(sniffImageType(await image.clone().png().toBuffer()), 'png');
    assert.equal(sniffImageType(await image.clone().webp().toBuffer()), 'webp');
    assert.equal(sniffImageType(await image.clone().gif().toBuffer()), 'gif');
  });

  it('recognises types it does not accept, and nothing in garbage', async () => {
    assert.equal(sniffImageType(await (await halves()).avif().toBuffer()), 'avif');
    assert.equal(sniffImageType(Buffer.from('<?xml version="1.0"?>\n<svg xmlns="x"></svg>')), 'svg');
    assert.equal(sniffImageType(Buffer.from('BM\0\0\0\0')), 'bmp');
    assert.equal(sniffImageType(Buffer.from('hello, world')), null);
    assert.equal(sniffImageType(new Uint8Array(0)), null);
  });
});

describe('decodeImage', () => {
  it('decodes JPEG, PNG, WebP and GIF to RGB', async () => {
    const image = await halves();
    for (const format of ['jpeg', 'png', 'webp', 'gif'] as const) {
      const decoded = await decodeImage(await image.clone().toFormat(format).toBuffer());
      assert.equal(decoded.channels, 3);
      assert.deepEqual([decoded.width, decoded.height], [40, 20], format);
      assert.equal(decoded.data.length, 40 * 20 * 3);
      const [r, g, b] = pixel(decoded, 5, 10);
      assert.ok(r! > 200 && g! < 60 && b! < 60, `${format} left should be red: ${r},${g},${b}`);
      const [r2, , b2] = pixel(decoded, 35, 10);
      assert.ok(b2! > 200 && r2! < 60, `${format} right should be blue`);
    }
  });

  it('puts transparency on white and applies EXIF orientation', async () => {
    const transparent = await sharp({
      create: { width: 8, height: 8, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    assert.deepEqual(pixel(await decodeImage(transparent), 3, 3), [255, 255, 255]);
    const rotated = await (await halves()).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const decoded = await decodeImage(rotated);
    assert.deepEqual([decoded.width, decoded.height], [20, 40]);
  });

  it('takes the first frame of an animated GIF', async () => {
    const frames = Buffer.alloc(20 * 30 * 3, 0);
    frames.fill(255, 0, 20 * 10 * 3);
    const gif = await sharp(frames, { raw: { width: 20, height: 30, channels: 3, pageHeight: 10 } })
      .gif()
      .toBuffer();
    const decoded = await decodeImage(gif);
    assert.deepEqual([decoded.width, decoded.height], [20, 10]);
  });

  it('refuses too many bytes before looking at them', async () => {
    const bytes = new Uint8Array(1000).fill(7);
    await rejectsWith(decodeImage(bytes, { maxBytes: 999 }), 'PAYLOAD_TOO_LARGE', /1000 bytes.*999/);
    assert.equal(DEFAULT_IMAGE_LIMITS.maxBytes, 10 * 1024 * 1024);
  });

  it('refuses unsupported types by name', async () => {
    await rejectsWith(decodeImage(await (await halves()).avif().toBuffer()), 'INVALID_IMAGE', /avif/);
    await rejectsWith(
      decodeImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')),
      'INVALID_IMAGE',
      /svg is not supported/,
    );
  });

  it('refuses garbage, empty and truncated bytes', async () => {
    await rejectsWith(
      decodeImage(Buffer.from('definitely not a picture')),
      'INVALID_IMAGE',
      /not a recognised/,
    );
    await rejectsWith(decodeImage(new Uint8Array(0)), 'INVALID_IMAGE', /empty/);
    const png = await (await halves()).png().toBuffer();
    await rejectsWith(decodeImage(png.subarray(0, 40)), 'INVALID_IMAGE', /png/);
    // A valid signature followed by junk.
    const fake = Buffer.concat([png.subarray(0, 8), Buffer.alloc(200, 0x41)]);
    await rejectsWith(decodeImage(fake), 'INVALID_IMAGE');
    const jpeg = await (await halves()).jpeg().toBuffer();
    await rejectsWith(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2))), 'INVALID_IMAGE', /jpeg/);
  });

  it('refuses a decompression bomb from its header, without decoding it', async () => {
    // 42 megapixels of white compress to ~130 kB, well under the byte limit.
    const bomb = await sharp({
      create: { width: 7000, height: 6000, channels: 3, background: '#ffffff' },
      limitInputPixels: false,
    })
      .greyscale()
      .png({ compressionLevel: 9 })
      .toBuffer();
    assert.ok(bomb.length < DEFAULT_IMAGE_LIMITS.maxBytes);
    const started = performance.now();
    await rejectsWith(decodeImage(bomb), 'INVALID_IMAGE', /7000×6000 = 42000000 pixels.*40000000/);
    await rejectsWith(decodeImageToFit(bomb, 64), 'INVALID_IMAGE', /pixels/);
    // Decoding 42 Mpx would take seconds; reading a header takes milliseconds.
    assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
  });

  it('applies a custom pixel limit', async () => {
    const png = await (await halves()).png().toBuffer();
    await rejectsWith(decodeImage(png, { maxPixels: 799 }), 'INVALID_IMAGE', /800 pixels/);
    assert.equal((await decodeImage(png, { maxPixels: 800 })).width, 40);
  });
});

describe('decodeImageToFit', () => {
  it('shrinks to fit and never enlarges', async () => {
    const png = await (await halves()).png().toBuffer();
    const small = await decodeImageToFit(png, 10);
    assert.deepEqual([small.width, small.height], [10, 5]);
    assert.equal(small.data.length, 10 * 5 * 3);
    const same = await decodeImageToFit(png, 1000);
    assert.deepEqual([same.width, same.height], [40, 20]);
  });
});
