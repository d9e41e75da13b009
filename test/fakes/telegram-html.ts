/**
 * Telegram's HTML parse mode as the Bot API documents it (core.telegram.org/bots/api#html-style):
 * only its tags, balanced, attributes only where it allows them; the named entities &lt; &gt; &amp;
 * &quot; and numeric ones. Returns the plain text Telegram would show, or the error sentence it
 * answers with after "Bad Request: can't parse entities: ".
 */
const ALLOWED_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'tg-emoji', 'code', 'pre', 'blockquote']);
const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

export type HtmlParse = { ok: true; text: string } | { ok: false; error: string };

export function parseTelegramHtml(html: string): HtmlParse {
  const open: string[] = [];
  let text = '';
  let i = 0;
  const offset = () => Buffer.byteLength(html.slice(0, i));
  while (i < html.length) {
    const char = html[i]!;
    if (char === '&') {
      const entity = /^&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/.exec(html.slice(i));
      if (entity) {
        const name = entity[1]!;
        const decoded = name.startsWith('#x')
          ? String.fromCodePoint(parseInt(name.slice(2), 16))
          : name.startsWith('#')
            ? String.fromCodePoint(Number(name.slice(1)))
            : NAMED_ENTITIES[name];
        if (decoded !== undefined) {
          text += decoded;
          i += entity[0].length;
          continue;
        }
      }
      // Telegram keeps an '&' that starts no entity it knows as it is.
      text += char;
      i += 1;
      continue;
    }
    if (char !== '<') {
      text += char;
      i += 1;
      continue;
    }
    const end = html.indexOf('>', i);
    if (end === -1) return { ok: false, error: `Unclosed start tag at byte offset ${offset()}` };
    const tag = html.slice(i + 1, end);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim().toLowerCase();
      const expected = open.pop();
      if (expected === undefined) return { ok: false, error: `Unexpected end tag at byte offset ${offset()}` };
      if (name !== expected) return { ok: false, error: `Unmatched end tag at byte offset ${offset()}, expected "</${expected}>", found "</${name}>"` };
    } else {
      const match = /^([a-zA-Z][a-zA-Z0-9-]*)(\s[^]*)?$/.exec(tag);
      const name = match?.[1]?.toLowerCase();
      if (!name || !ALLOWED_TAGS.has(name)) return { ok: false, error: `Unsupported start tag "${name ?? tag}" at byte offset ${offset()}` };
      if (name === 'span' && !/class\s*=\s*"tg-spoiler"/.test(match![2] ?? '')) {
        return { ok: false, error: `Tag "span" must have class "tg-spoiler" at byte offset ${offset()}` };
      }
      open.push(name);
    }
    i = end + 1;
  }
  if (open.length > 0) return { ok: false, error: `Can't find end tag corresponding to start tag "${open[open.length - 1]}"` };
  return { ok: true, text };
}
