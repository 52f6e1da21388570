// Image attachments for chat.send (schema: {type, mimeType, fileName, content: base64,
// sizeBytes}) and the run id the UI makes up for each message.

export interface Attachment {
  fileName: string;
  mimeType: string;
  sizeBytes: number;
  content: string; // base64, no data: prefix
}

export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];

// The gateway decides by the bytes; this only spares the user a round trip for a
// file that cannot be an image or is over the limit the hello-ok policy announced.
export function checkFile(f: File, maxBytes: number): string | null {
  if (!IMAGE_TYPES.includes(f.type)) return `${f.name}: only PNG, JPEG, GIF or WebP images can be attached`;
  if (maxBytes > 0 && f.size > maxBytes) return `${f.name}: larger than ${maxBytes} bytes`;
  return null;
}

export function readAttachment(f: File): Promise<Attachment> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onerror = () => reject(new Error(`${f.name}: could not be read`));
    r.onload = () => {
      const url = String(r.result ?? "");
      resolve({ fileName: f.name, mimeType: f.type, sizeBytes: f.size, content: url.slice(url.indexOf(",") + 1) });
    };
    r.readAsDataURL(f);
  });
}

// A v4 UUID from the CSPRNG; crypto.randomUUID exists only in secure contexts (a
// gateway reached over plain http on a LAN address is not one).
export function uuid(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
