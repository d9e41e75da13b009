import jsQR from 'jsqr';
import { PNG } from 'pngjs';

/** Reads a QR code back from a `data:image/png;base64,...` URL, as a phone camera would. */
export function decodeQrDataUrl(dataUrl: string): string | null {
  const prefix = 'data:image/png;base64,';
  if (!dataUrl.startsWith(prefix)) return null;
  const png = PNG.sync.read(Buffer.from(dataUrl.slice(prefix.length), 'base64'));
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
}
