/** Base64 data URIs (the result's crop thumbnails) to bytes and a MIME type, for sending images to a model. */
import { DataError } from '../errors';

export interface ImageBytes {
  mime: string;
  data: Uint8Array;
}

/** Decodes `data:<mime>;base64,<payload>`; `what` names the image in the error. */
export function decodeDataUri(uri: string, what: string): ImageBytes {
  const m = /^data:([a-z]+\/[a-z0-9.+-]+);base64,([A-Za-z0-9+/=\s]*)$/i.exec(uri);
  if (!m) throw new DataError(`${what}: not a base64 data URI (starts with ${JSON.stringify(uri.slice(0, 30))})`);
  const data = new Uint8Array(Buffer.from(m[2], 'base64'));
  if (data.length === 0) throw new DataError(`${what}: empty image data`);
  return { mime: m[1].toLowerCase(), data };
}
