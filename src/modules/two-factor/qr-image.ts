import QRCode from 'qrcode';

/**
 * The picture an authenticator app scans, as a `data:image/png;base64,...` URL the frontend can
 * put straight into an <img>. Made here because the secret must not leave for a QR service, and
 * drawing QR codes (Reed-Solomon, masks) is the qrcode library's job, not ours.
 */
export function qrImageDataUrl(text: string): Promise<string> {
  // Level M survives a slightly blurred phone camera; 4 modules of quiet zone is the standard's.
  return QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 4, scale: 6, type: 'image/png' });
}
