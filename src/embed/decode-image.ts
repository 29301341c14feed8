/**
 * Decodes untrusted image bytes to RGB pixels with sharp, refusing what would cost too much before paying
 * for it: the byte limit is checked before sharp sees the bytes, and the pixel limit is checked against the
 * header's dimensions before the full decode, so a small file declaring a huge canvas (a decompression
 * bomb) is rejected without allocating its pixels. sharp's own `limitInputPixels` is set to the same limit
 * as a second line of defence.
 *
 * Only JPEG, PNG, WebP and GIF are accepted, recognised by their magic bytes rather than by whatever a
 * client claims; SVG in particular is never handed to sharp (it is a document format, not pixels).
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import { SoukError } from '../errors.ts';

export const ACCEPTED_IMAGE_TYPES = ['jpeg', 'png', 'webp', 'gif'] as const;
export type AcceptedImageType = (typeof ACCEPTED_IMAGE_TYPES)[number];
/** Types recognised only to name them in the error that rejects them. */
export type RecognisedImageType = AcceptedImageType | 'avif' | 'heic' | 'tiff' | 'bmp' | 'svg' | 'ico';

export interface ImageLimits {
  /** Largest encoded size accepted, in bytes. */
  maxBytes?: number;
  /** Largest canvas accepted (width × height of the first frame), in pixels. */
  maxPixels?: number;
}

export const DEFAULT_IMAGE_LIMITS: Readonly<Required<ImageLimits>> = Object.freeze({
  maxBytes: 10 * 1024 * 1024,
  maxPixels: 40_000_000,
});

export interface DecodedImage {
  width: number;
  height: number;
  channels: 3;
  /** Row-major RGB, `width * height * 3` bytes. */
  data: Uint8Array;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[offset + i] !== prefix[i]) return false;
  return true;
}

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

/** The image type named by the bytes' signature, or null when none is recognised. */
export function sniffImageType(bytes: Uint8Array): RecognisedImageType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp';
  // ISO base media files: `ftyp` box at offset 4, then the major brand.
  if (startsWith(bytes, ascii('ftyp'), 4)) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12));
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1'].includes(brand)) return 'heic';
  }
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return 'tiff';
  if (startsWith(bytes, ascii('BM'))) return 'bmp';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'ico';
  const head = new TextDecoder('utf-8', { fatal: false })
    .decode(bytes.subarray(0, 256))
    .trimStart()
    .toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'svg';
  return null;
}

function isAccepted(type: RecognisedImageType | null): type is AcceptedImageType {
  return type !== null && (ACCEPTED_IMAGE_TYPES as readonly string[]).includes(type);
}

function resolveLimits(limits: ImageLimits | undefined): Required<ImageLimits> {
  return {
    maxBytes: limits?.maxBytes ?? DEFAULT_IMAGE_LIMITS.maxBytes,
    maxPixels: limits?.maxPixels ?? DEFAULT_IMAGE_LIMITS.maxPixels,
  };
}

interface CheckedImage {
  type: AcceptedImageType;
  width: number;
  height: number;
  pipeline: Sharp;
}

/**
 * Everything up to the full decode: byte limit, signature, header, pixel limit. Returns a pipeline that
 * decodes the first frame only (an animated GIF or WebP is represented by its first frame).
 */
async function checkImage(bytes: Uint8Array, limits: ImageLimits | undefined): Promise<CheckedImage> {
  const { maxBytes, maxPixels } = resolveLimits(limits);
  if (bytes.length === 0) throw new SoukError('INVALID_IMAGE', 'Image is empty (0 bytes)');
  if (bytes.length > maxBytes) {
    throw new SoukError(
      'PAYLOAD_TOO_LARGE',
      `Image is ${bytes.length} bytes, more than the limit of ${maxBytes} bytes`,
      { bytes: bytes.length, maxBytes },
    );
  }
  const type = sniffImageType(bytes);
  if (!isAccepted(type)) {
    const accepted = ACCEPTED_IMAGE_TYPES.join(', ');
    throw new SoukError(
      'INVALID_IMAGE',
      type === null
        ? `Image bytes are not a recognised image format (accepted: ${accepted})`
        : `Image type ${type} is not supported (accepted: ${accepted})`,
      { type },
    );
  }
  let metadata: Metadata;
  try {
    // Reads the header only. sharp's pixel limit is left off here so that our own check below, with its
    // clearer message, is the one that fires.
    metadata = await sharp(bytes, { pages: 1, limitInputPixels: false }).metadata();
  } catch (error) {
    throw new SoukError(
      'INVALID_IMAGE',
      `Image header could not be read as ${type}: ${(error as Error).message}`,
      { type },
      { cause: error },
    );
  }
  if (metadata.format !== type) {
    throw new SoukError(
      'INVALID_IMAGE',
      `Image signature says ${type} but its content is ${metadata.format}`,
      {
        type,
      },
    );
  }
  const width = metadata.width ?? 0;
  const height = metadata.pageHeight ?? metadata.height ?? 0;
  if (width <= 0 || height <= 0) {
    throw new SoukError('INVALID_IMAGE', `Image header gives no dimensions (${width}×${height})`, { type });
  }
  if (width * height > maxPixels) {
    throw new SoukError(
      'INVALID_IMAGE',
      `Image is ${width}×${height} = ${width * height} pixels, more than the limit of ${maxPixels} pixels`,
      { type, width, height, maxPixels },
    );
  }
  const pipeline = sharp(bytes, { pages: 1, autoOrient: true, failOn: 'error', limitInputPixels: maxPixels });
  return { type, width, height, pipeline };
}

async function toRgb(pipeline: Sharp, type: AcceptedImageType): Promise<DecodedImage> {
  try {
    // Transparent areas become white: product cut-outs are shown on white, and a descriptor that masks
    // light backgrounds then treats them as background.
    const { data, info } = await pipeline
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return {
      width: info.width,
      height: info.height,
      channels: 3,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  } catch (error) {
    throw new SoukError(
      'INVALID_IMAGE',
      `Image could not be decoded as ${type}: ${(error as Error).message}`,
      { type },
      { cause: error },
    );
  }
}

/** Decodes the first frame to RGB at full size, EXIF orientation applied, transparency on white. */
export async function decodeImage(bytes: Uint8Array, limits?: ImageLimits): Promise<DecodedImage> {
  const checked = await checkImage(bytes, limits);
  return toRgb(checked.pipeline, checked.type);
}

/**
 * Like `decodeImage`, but scaled down (never up) so the longer side is at most `maxSide`. Much cheaper
 * than decoding and then resizing: JPEG and WebP decoders shrink while decoding.
 */
export async function decodeImageToFit(
  bytes: Uint8Array,
  maxSide: number,
  limits?: ImageLimits,
): Promise<DecodedImage> {
  if (!Number.isInteger(maxSide) || maxSide < 1) throw new RangeError(`maxSide must be a positive integer`);
  const checked = await checkImage(bytes, limits);
  const pipeline = checked.pipeline.resize({
    width: maxSide,
    height: maxSide,
    fit: 'inside',
    withoutEnlargement: true,
    kernel: 'lanczos3',
  });
  return toRgb(pipeline, checked.type);
}
