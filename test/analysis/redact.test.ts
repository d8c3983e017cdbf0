// --redact masks credentials and leaves ordinary text alone.
import { describe, expect, it } from 'vitest';
import { entropy, looksLikeSecretToken, redact } from '../../src/analysis/redact.js';

describe('redact', () => {
  it('masks key=value secrets in their common spellings', () => {
    expect(redact('user=bob password=hunter2 role=admin')).toBe('user=bob password=[REDACTED] role=admin');
    expect(redact('{"api_key": "abc123def"}')).toBe('{"api_key": "[REDACTED]"}');
    expect(redact('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9')).toBe('Authorization: Bearer [REDACTED]');
    expect(redact('PASSWD:letmein;')).toBe('PASSWD:[REDACTED];');
    expect(redact('db.client_secret = s3cr3t')).toBe('db.client_secret = [REDACTED]');
  });

  it('masks long random tokens but not words, paths or SQL', () => {
    for (const token of ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'Q2xvdWRTZWNyZXQ9OTg3NjU0MzIxMA==', '3f9a7c2e1b8d4f6a0c5e9b7d2a4f8c1e']) {
      expect(looksLikeSecretToken(token)).toBe(true);
      expect(redact(`seen ${token} end`)).toBe('seen [REDACTED] end');
    }
    for (const plain of [
      'SELECT id, name FROM accounts WHERE region = 42',
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
      'INFO request handled in ms=12 status=200',
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      'org.springframework.context.support.AbstractApplicationContext',
    ]) {
      expect(redact(plain)).toBe(plain);
    }
  });

  it('measures entropy in bits per character', () => {
    expect(entropy('aaaa')).toBe(0);
    expect(entropy('abcd')).toBe(2);
  });
});
