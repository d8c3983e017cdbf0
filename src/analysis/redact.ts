// --redact: masks what looks like a credential in text the scanner found.
// Two shapes: key=value pairs whose key names a secret (password=, token:,
// Authorization: Bearer ...), and long high-entropy tokens (API keys, JWTs,
// session ids). A best effort, stated as such in SECURITY.md.

const mask = '[REDACTED]';

const secretPair = /\b(pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|auth(?:orization)?|credentials?|session(?:id)?|private[_-]?key|client[_-]?secret)(\s*["']?\s*[:=]\s*["']?\s*(?:bearer\s+|basic\s+)?)([^\s"'&;,]+)/gi;
const tokenCandidate = /[A-Za-z0-9+/_\-.=]{24,}/g;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * A long token is secret-looking when it has a long unbroken run, mixes
 * character classes and is close to random: random base64 of 24+ chars has ~4.5-6 bits/char, English
 * words and identifiers stay well below 4.
 */
export function looksLikeSecretToken(s: string): boolean {
  if (s.length < 24) return false;
  // Paths and dotted identifiers are short words between separators; keys,
  // base64 and JWT segments are long unbroken runs.
  const longestPart = Math.max(...s.split(/[/._-]/).map((p) => p.length));
  if (longestPart < 16) return false;
  // Generated secrets (base64, hex, JWT) mix letters and digits; CamelCase
  // identifiers, however long, have no digits.
  if (!/[0-9]/.test(s) || !/[A-Za-z]/.test(s)) return false;
  // A hex alphabet caps entropy at 4 bits/char (random hex reads ~3.8);
  // wider alphabets (base64: 6 bits) reach 4.5 and more.
  return entropy(s) >= (/^[0-9a-f]+$/i.test(s) ? 3.5 : 4.0);
}

export function redact(text: string): string {
  let out = text.replace(secretPair, (_m, key: string, sep: string) => `${key}${sep}${mask}`);
  out = out.replace(tokenCandidate, (tok) => (looksLikeSecretToken(tok) ? mask : tok));
  return out;
}
