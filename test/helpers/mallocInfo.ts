// Parses glibc's malloc_info(0, fp) XML (malloc.c __malloc_info). Whitespace is insignificant: glibc
// 2.19-2.30 indent <size> lines with tabs, 2.31+ with two spaces. glibc 2.43 removed
// fastbins and with them every <total type="fast"> (commit "malloc: remove fastbin code
// from malloc_info"): `fast` is then null, not zero, so a test can tell the two apart.

export interface SizeLine {
  /** "size" for fastbins and bins 2..127, "unsorted" for bin 1. */
  kind: 'size' | 'unsorted';
  from: number;
  to: number;
  total: number;
  count: number;
}

export interface CountSize {
  count: number;
  size: number;
}

export interface MallocInfoArena {
  /** 0 = main_arena, then main_arena.next ring order (newest arena first). */
  nr: number;
  sizes: SizeLine[];
  /** <total type="fast">; null where the document has none (glibc 2.43+, no fastbins). */
  fast: CountSize | null;
  rest: CountSize;
  systemCurrent: number;
  systemMax: number;
  aspaceTotal: number;
  aspaceMprotect: number;
  /** Number of heaps; only for non-main arenas on glibc >= 2.27. */
  subheaps?: number;
}

export interface MallocInfoTotals {
  /** null where the document has no <total type="fast"> (glibc 2.43+). */
  fast: CountSize | null;
  rest: CountSize;
  systemCurrent: number;
  systemMax: number;
  aspaceTotal: number;
  aspaceMprotect: number;
}

export interface MallocInfo {
  version: number;
  arenas: MallocInfoArena[];
  totals: MallocInfoTotals;
  /** mmapped chunks: mp_.n_mmaps and mp_.mmapped_mem (glibc >= 2.20). */
  mmap: CountSize | null;
}

interface Tag {
  name: string;
  closing: boolean;
  selfClosing: boolean;
  attrs: Record<string, string>;
}

function* tags(xml: string): Generator<Tag> {
  const tagPattern = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w.-]+\s*=\s*"[^"]*")*)\s*(\/?)>/g;
  const attrPattern = /([\w.-]+)\s*=\s*"([^"]*)"/g;
  let match: RegExpExecArray | null;
  while ((match = tagPattern.exec(xml)) !== null) {
    const attrs: Record<string, string> = {};
    for (const a of (match[3] ?? '').matchAll(attrPattern)) attrs[a[1] as string] = a[2] as string;
    yield { name: match[2] as string, closing: match[1] === '/', selfClosing: match[4] === '/', attrs };
  }
}

function num(attrs: Record<string, string>, key: string, where: string): number {
  const raw = attrs[key];
  if (raw === undefined || !/^-?\d+$/.test(raw)) throw new Error(`malloc_info: ${where} lacks numeric ${key}`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`malloc_info: ${where} ${key}=${raw} is not a safe integer`);
  return value;
}

interface Section {
  fast?: CountSize;
  rest?: CountSize;
  mmap?: CountSize;
  systemCurrent?: number;
  systemMax?: number;
  aspaceTotal?: number;
  aspaceMprotect?: number;
  subheaps?: number;
}

function applyStat(section: Section, tag: Tag, where: string): void {
  const type = tag.attrs.type;
  if (tag.name === 'total') {
    const value = { count: num(tag.attrs, 'count', where), size: num(tag.attrs, 'size', where) };
    if (type === 'fast') section.fast = value;
    else if (type === 'rest') section.rest = value;
    else if (type === 'mmap') section.mmap = value;
  } else if (tag.name === 'system') {
    if (type === 'current') section.systemCurrent = num(tag.attrs, 'size', where);
    else if (type === 'max') section.systemMax = num(tag.attrs, 'size', where);
  } else if (tag.name === 'aspace') {
    if (type === 'total') section.aspaceTotal = num(tag.attrs, 'size', where);
    else if (type === 'mprotect') section.aspaceMprotect = num(tag.attrs, 'size', where);
    else if (type === 'subheaps') section.subheaps = num(tag.attrs, 'size', where);
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`malloc_info: missing ${what}`);
  return value;
}

export function parseMallocInfo(xml: string): MallocInfo {
  let version: number | undefined;
  const arenas: MallocInfoArena[] = [];
  let heap: (Section & { nr: number; sizes: SizeLine[] }) | null = null;
  const trailer: Section = {};
  let closed = false;
  for (const tag of tags(xml)) {
    if (tag.name === 'malloc') {
      if (tag.closing) closed = true;
      else version = num(tag.attrs, 'version', '<malloc>');
      continue;
    }
    if (tag.name === 'heap') {
      if (tag.closing) {
        if (!heap) throw new Error('malloc_info: </heap> without <heap>');
        const where = `heap ${heap.nr}`;
        const arena: MallocInfoArena = {
          nr: heap.nr,
          sizes: heap.sizes,
          fast: heap.fast ?? null,
          rest: required(heap.rest, `${where} rest`),
          systemCurrent: required(heap.systemCurrent, `${where} system current`),
          systemMax: required(heap.systemMax, `${where} system max`),
          aspaceTotal: required(heap.aspaceTotal, `${where} aspace total`),
          aspaceMprotect: required(heap.aspaceMprotect, `${where} aspace mprotect`),
        };
        if (heap.subheaps !== undefined) arena.subheaps = heap.subheaps;
        arenas.push(arena);
        heap = null;
      } else {
        heap = { nr: num(tag.attrs, 'nr', '<heap>'), sizes: [] };
      }
      continue;
    }
    if (tag.name === 'sizes') continue;
    if (tag.name === 'size' || tag.name === 'unsorted') {
      if (!heap) throw new Error(`malloc_info: <${tag.name}> outside <heap>`);
      heap.sizes.push({
        kind: tag.name,
        from: num(tag.attrs, 'from', tag.name),
        to: num(tag.attrs, 'to', tag.name),
        total: num(tag.attrs, 'total', tag.name),
        count: num(tag.attrs, 'count', tag.name),
      });
      continue;
    }
    applyStat(heap ?? trailer, tag, heap ? `heap ${heap.nr}` : 'trailer');
  }
  if (version === undefined || !closed) throw new Error('malloc_info: not a complete <malloc> document');
  // One glibc prints fast totals in every section or in none.
  if ([...arenas.map((a) => a.fast), trailer.fast ?? null].some((f) => (f === null) !== (trailer.fast === undefined))) {
    throw new Error('malloc_info: <total type="fast"> in some sections only');
  }
  return {
    version,
    arenas,
    totals: {
      fast: trailer.fast ?? null,
      rest: required(trailer.rest, 'trailer rest'),
      systemCurrent: required(trailer.systemCurrent, 'trailer system current'),
      systemMax: required(trailer.systemMax, 'trailer system max'),
      aspaceTotal: required(trailer.aspaceTotal, 'trailer aspace total'),
      aspaceMprotect: required(trailer.aspaceMprotect, 'trailer aspace mprotect'),
    },
    mmap: trailer.mmap ?? null,
  };
}
