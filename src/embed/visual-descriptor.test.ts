import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { loadLumaPhotoSets, measureLumaImageRecall } from '../../bench/image-recall.ts';
import { isSoukError } from '../errors.ts';
import { decodeImageToFit } from './decode-image.ts';
import { dot } from './embedder.ts';
import {
  VISUAL_DESCRIPTOR_DIMS,
  VISUAL_DESCRIPTOR_INPUT_SIDE,
  createVisualDescriptorEmbedder,
  describeImage,
} from './visual-descriptor.ts';

const embedder = createVisualDescriptorEmbedder();
after(() => embedder.close());

function norm(vector: Float32Array): number {
  return Math.sqrt(dot(vector, vector));
}

/** A product-like picture: a coloured rectangle with a darker stripe on a white background. */
async function synthetic(colour: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="240">
    <rect width="200" height="240" fill="#ffffff"/>
    <rect x="50" y="30" width="100" height="180" fill="${colour}"/>
    <rect x="95" y="30" width="10" height="180" fill="#222222"/>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

describe('visual descriptor', () => {
  it('identifies itself and has no text tower', () => {
    assert.equal(embedder.id.provider, 'visual');
    assert.equal(embedder.id.dims, VISUAL_DESCRIPTOR_DIMS);
    assert.ok(embedder.id.model.length > 0 && embedder.id.version.length > 0);
    assert.equal(embedder.embedText, undefined);
  });

  it('gives unit vectors of fixed length, deterministically, in input order', async () => {
    const inputs = [await synthetic('#c02020'), await synthetic('#2040c0')];
    const first = await embedder.embedImages(inputs);
    const again = await embedder.embedImages([inputs[1]!, inputs[0]!]);
    assert.equal(first.length, 2);
    for (const vector of first) {
      assert.equal(vector.length, VISUAL_DESCRIPTOR_DIMS);
      assert.ok(Math.abs(norm(vector) - 1) < 1e-5);
      assert.ok(vector.every(Number.isFinite));
    }
    assert.deepEqual(again[0], first[1]);
    assert.deepEqual(again[1], first[0]);
    assert.deepEqual(await embedder.embedImages([]), []);
  });

  it('tells red from blue, and a red picture from a slightly different red one less', async () => {
    const [red, blue, red2] = await embedder.embedImages([
      await synthetic('#c02020'),
      await synthetic('#2040c0'),
      await synthetic('#b82828'),
    ]);
    const redBlue = dot(red!, blue!);
    const redRed = dot(red!, red2!);
    assert.ok(redRed > 0.98, `red vs red ${redRed}`);
    assert.ok(redBlue < redRed - 0.05, `red vs blue ${redBlue} should be well below ${redRed}`);
  });

  it('gives a picture and its mirror image (nearly) the same vector', async () => {
    // Asymmetric on purpose: a stripe off-centre and a patch in one corner.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="240">
      <rect width="200" height="240" fill="#ffffff"/>
      <rect x="40" y="30" width="110" height="180" fill="#3060b0"/>
      <rect x="60" y="30" width="8" height="180" fill="#f0f0f0"/>
      <rect x="110" y="40" width="30" height="40" fill="#c03030"/>
    </svg>`;
    const bytes = await sharp(Buffer.from(svg)).png().toBuffer();
    const [picture, mirrored, shifted] = await embedder.embedImages([
      bytes,
      await sharp(bytes).flop().png().toBuffer(),
      await sharp(Buffer.from(svg.replace('x="60"', 'x="120"')))
        .png()
        .toBuffer(),
    ]);
    const mirror = dot(picture!, mirrored!);
    assert.ok(mirror > 0.999, `picture vs mirror image ${mirror}`);
    assert.ok(dot(picture!, shifted!) < mirror, 'a moved stripe is further than a mirror image');
  });

  it('describes blank, tiny and full-bleed pictures with unit vectors', async () => {
    const white = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const tiny = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#0a0' } })
      .png()
      .toBuffer();
    const bleed = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#345' } })
      .jpeg()
      .toBuffer();
    for (const vector of await embedder.embedImages([white, tiny, bleed])) {
      assert.ok(Math.abs(norm(vector) - 1) < 1e-5);
    }
  });

  it('rejects undecodable bytes with INVALID_IMAGE naming the position', async () => {
    const good = await synthetic('#c02020');
    await assert.rejects(embedder.embedImages([good, Buffer.from('not an image')]), (error: unknown) => {
      assert.ok(isSoukError(error));
      assert.equal(error.code, 'INVALID_IMAGE');
      assert.equal(error.details.position, 1);
      assert.match(error.message, /^Image 1: /);
      return true;
    });
  });

  it('matches what describeImage computes on the decoded pixels', async () => {
    const bytes = await synthetic('#20a060');
    const [viaEmbedder] = await embedder.embedImages([bytes]);
    const decoded = await decodeImageToFit(bytes, VISUAL_DESCRIPTOR_INPUT_SIDE);
    assert.deepEqual(describeImage(decoded), viaEmbedder);
    const large = await decodeImageToFit(
      await sharp({ create: { width: 600, height: 10, channels: 3, background: '#fff' } })
        .png()
        .toBuffer(),
      600,
    );
    assert.throws(() => describeImage(large), RangeError);
  });
});

describe('visual descriptor on Luma photos', () => {
  const sets = loadLumaPhotoSets();
  // Every fourth product's primary photo: varied enough, quick to embed.
  const files = sets.filter((_, i) => i % 4 === 0).map((set) => set.primary);
  let gallery: Float32Array[] = [];

  before(async () => {
    gallery = await embedder.embedImages(await Promise.all(files.map((file) => readFile(file))));
  });

  it('finds a photo again after re-encoding, resizing and slight cropping', async () => {
    for (const index of [0, 7, 13, 21, 30, 40]) {
      const original = await readFile(files[index]!);
      const { width = 0, height = 0 } = await sharp(original).metadata();
      const variants = [
        await sharp(original).jpeg({ quality: 55 }).toBuffer(),
        await sharp(original).webp({ quality: 70 }).toBuffer(),
        await sharp(original)
          .resize(Math.round(width * 0.6))
          .png()
          .toBuffer(),
        await sharp(original)
          .extract({
            left: Math.round(width * 0.04),
            top: Math.round(height * 0.04),
            width: Math.round(width * 0.92),
            height: Math.round(height * 0.92),
          })
          .jpeg({ quality: 85 })
          .toBuffer(),
      ];
      const vectors = await embedder.embedImages(variants);
      vectors.forEach((vector, v) => {
        const scores = gallery.map((g) => dot(vector, g));
        const best = scores.indexOf(Math.max(...scores));
        assert.equal(best, index, `photo ${files[index]} variant ${v}: nearest is ${files[best]}`);
      });
    }
  });

  it('retrieves the right product from its other photos (Luma image→product Recall@10)', async () => {
    const result = await measureLumaImageRecall(embedder);
    assert.equal(result.queries, 257);
    // Measured: Recall@10 0.887, Recall@1 0.658, MRR@10 0.728 (bench/image-recall.ts).
    assert.ok(result.recallAt10 >= 0.83, `Recall@10 ${result.recallAt10}`);
    assert.ok(result.recallAt1 >= 0.55, `Recall@1 ${result.recallAt1}`);
    assert.ok(result.mrrAt10 >= 0.65, `MRR@10 ${result.mrrAt10}`);
  });
});
