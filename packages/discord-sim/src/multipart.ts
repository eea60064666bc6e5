// Request bodies as discord.js sends them: JSON, or multipart/form-data with `payload_json` plus `files[n]`.
// Parsing leans on undici's spec-compliant FormData parser (global Response in Node 20).

export interface UploadedFile {
  name: string;
  contentType: string;
  data: Buffer;
}

export interface ParsedBody {
  /** The JSON body (or payload_json), as sent: the caller knows what the route takes. */
  json: unknown;
  files: UploadedFile[];
}

export async function parseBody(contentType: string | undefined, body: Buffer): Promise<ParsedBody> {
  const ct = contentType ?? '';
  if (body.length === 0) return { json: null, files: [] };
  if (ct.startsWith('multipart/form-data')) return parseMultipart(ct, body);
  const text = body.toString('utf8');
  return { json: JSON.parse(text) as unknown, files: [] };
}

async function parseMultipart(ct: string, body: Buffer): Promise<ParsedBody> {
  const form = await new Response(body, { headers: { 'content-type': ct } }).formData();
  let json: ParsedBody['json'] = null;
  const payload = form.get('payload_json');
  if (typeof payload === 'string') json = JSON.parse(payload) as unknown;
  // files[n] pairs with attachments[{id: n, filename}] in payload_json; that filename wins if present.
  const declared = new Map<string, string>();
  const declaredList =
    json !== null && typeof json === 'object' && !Array.isArray(json)
      ? (json as { attachments?: unknown }).attachments
      : undefined;
  const attachments = Array.isArray(declaredList) ? (declaredList as { id?: unknown; filename?: unknown }[]) : [];
  for (const a of attachments) if (a.filename !== undefined) declared.set(String(a.id), String(a.filename));
  const files: { index: number; file: UploadedFile }[] = [];
  for (const [key, value] of form.entries()) {
    if (typeof value === 'string') continue;
    const m = /^files\[(\d+)\]$/.exec(key) ?? /^file(\d*)$/.exec(key);
    const index = m ? Number(m[1] || 0) : files.length;
    files.push({
      index,
      file: {
        name: declared.get(String(index)) ?? value.name,
        contentType: value.type || 'application/octet-stream',
        data: Buffer.from(await value.arrayBuffer()),
      },
    });
  }
  files.sort((a, b) => a.index - b.index);
  return { json, files: files.map((f) => f.file) };
}
