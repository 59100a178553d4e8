/**
 * A strict JSON parser (RFC 8259, restricted to I-JSON, RFC 7493) that keeps source positions.
 *
 * `JSON.parse` is not enough for a validator that must say *where* something is wrong: it keeps
 * the last of two duplicate keys silently, has no depth or size limit, and reports syntax errors
 * without a line and column. This parser returns the same values as `JSON.parse` for every input
 * both accept, plus a map from JSON Pointer (RFC 6901) to the source offset of each value and
 * key, and refuses with a stable error code:
 *
 * - `invalid-utf8`: the bytes are not well-formed UTF-8 (RFC 8259 section 8.1);
 * - `too-large`: more bytes than `maxBytes`;
 * - `syntax`: not JSON;
 * - `duplicate-key`: an object names the same member twice (I-JSON section 2.3);
 * - `too-deep`: objects and arrays nested deeper than `maxDepth`;
 * - `not-i-json`: a lone surrogate or a number that overflows IEEE 754 doubles (I-JSON 2.1, 2.2).
 *
 * Positions are 1-based lines and 1-based columns counted in UTF-16 code units (SARIF's
 * default `columnKind`), the way editors such as VS Code count them.
 */
import { appendPointer } from './pointer.js';

export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type JsonErrorCode =
  'invalid-utf8' | 'too-large' | 'syntax' | 'duplicate-key' | 'too-deep' | 'not-i-json';

export interface SourcePosition {
  /** 0-based offset in UTF-16 code units into the decoded text. */
  readonly offset: number;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column, in UTF-16 code units. */
  readonly column: number;
}

export interface JsonParseError extends SourcePosition {
  readonly code: JsonErrorCode;
  readonly message: string;
  /** JSON Pointer of the value being parsed when the error occurred, when there is one. */
  readonly pointer?: string;
}

export interface ParseOptions {
  /** Refuse inputs larger than this many bytes (UTF-8). Default 1 MiB. */
  readonly maxBytes?: number;
  /** Refuse objects and arrays nested deeper than this. Default 64; the top level is depth 1. */
  readonly maxDepth?: number;
}

export interface ParsedJson {
  readonly ok: true;
  readonly value: JsonValue;
  /** The decoded source text (without a leading byte order mark). */
  readonly text: string;
  /** Whether the source started with a UTF-8 byte order mark, which canonical form drops. */
  readonly hadByteOrderMark: boolean;
  /** Pointers of integers whose decimal text an IEEE 754 double cannot hold exactly. */
  readonly inexactIntegers: readonly string[];
  /** Position of the value at `pointer`, or undefined if there is none. */
  locate(pointer: string): SourcePosition | undefined;
  /** Position of the member name whose value is at `pointer` (object members only). */
  locateKey(pointer: string): SourcePosition | undefined;
}

export interface FailedParse {
  readonly ok: false;
  readonly error: JsonParseError;
}

export type ParseResult = ParsedJson | FailedParse;

export const DEFAULT_MAX_BYTES = 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 64;

const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Parses JSON text or UTF-8 bytes. Never throws for bad input: errors are values. */
export function parseJson(input: string | Uint8Array, options: ParseOptions = {}): ParseResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;

  let text: string;
  if (typeof input === 'string') {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: count only when the limit could be exceeded.
    if (input.length * 3 > maxBytes) {
      const size = utf8Length(input);
      if (size > maxBytes) return fail(tooLarge(size, maxBytes));
    }
    text = input;
  } else {
    if (input.length > maxBytes) return fail(tooLarge(input.length, maxBytes));
    try {
      text = fatalDecoder.decode(input);
    } catch {
      return fail(invalidUtf8(input));
    }
  }

  const hadByteOrderMark = text.charCodeAt(0) === 0xfeff;
  if (hadByteOrderMark) text = text.slice(1);

  // A fast pass without positions; positions (and error pointers) come from a second, tracking
  // pass over the same text, run only when someone asks for them.
  const parser = new Parser(text, maxDepth, false);
  let value: JsonValue;
  try {
    value = parser.parseDocument();
  } catch (error) {
    if (!(error instanceof ParseFailure)) throw error;
    return fail(trackedFailure(text, maxDepth));
  }
  let tracked: Parser | undefined;
  const tracking = (): Parser => {
    if (tracked === undefined) {
      tracked = new Parser(text, maxDepth, true);
      tracked.parseDocument();
    }
    return tracked;
  };
  let lines: LineIndex | undefined;
  const position = (offset: number | undefined): SourcePosition | undefined =>
    offset === undefined ? undefined : (lines ??= new LineIndex(text)).position(offset);
  return {
    ok: true,
    value,
    text,
    hadByteOrderMark,
    get inexactIntegers() {
      return tracking().inexactIntegers;
    },
    locate: (pointer) => position(tracking().valueOffsets.get(pointer)),
    locateKey: (pointer) => position(tracking().keyOffsets.get(pointer)),
  };
}

/** Re-parses text known to be invalid, tracking pointers, to describe the error fully. */
function trackedFailure(text: string, maxDepth: number): JsonParseError {
  try {
    new Parser(text, maxDepth, true).parseDocument();
  } catch (error) {
    if (!(error instanceof ParseFailure)) throw error;
    const position = new LineIndex(text).position(error.offset) ?? {
      offset: 0,
      line: 1,
      column: 1,
    };
    return {
      code: error.code,
      message: error.message,
      ...position,
      ...(error.pointer === undefined ? {} : { pointer: error.pointer }),
    };
  }
  throw new Error('parseJson: the tracking pass accepted what the fast pass refused');
}

function fail(error: JsonParseError): FailedParse {
  return { ok: false, error };
}

function tooLarge(size: number, maxBytes: number): JsonParseError {
  return {
    code: 'too-large',
    message: `input is ${size} bytes; the limit is ${maxBytes} bytes`,
    offset: 0,
    line: 1,
    column: 1,
  };
}

/** Locates the first ill-formed UTF-8 sequence, so the error can point at it. */
function invalidUtf8(bytes: Uint8Array): JsonParseError {
  const badByte = firstInvalidUtf8Byte(bytes);
  const before = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(0, badByte));
  const position = new LineIndex(before).position(before.length) ?? {
    offset: 0,
    line: 1,
    column: 1,
  };
  const hex = (bytes[badByte] ?? 0).toString(16).padStart(2, '0');
  return {
    code: 'invalid-utf8',
    message: `invalid UTF-8: byte 0x${hex} at byte offset ${badByte} does not start or continue a valid sequence`,
    ...position,
  };
}

/** Returns the index of the first byte that is not part of a well-formed UTF-8 sequence. */
function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let codePoint = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      codePoint = (codePoint << 6) | (c & 0x3f);
    }
    if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
      return i;
    }
    i += need + 1;
  }
  return bytes.length;
}

function utf8Length(text: string): number {
  // Fast path: most JSON is ASCII, whose UTF-8 length is its UTF-16 length.
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(text)) return text.length;
  return utf8Encoder.encode(text).length;
}

class ParseFailure extends Error {
  constructor(
    readonly code: JsonErrorCode,
    message: string,
    readonly offset: number,
    readonly pointer?: string,
  ) {
    super(message);
  }
}

/** Maps offsets to line and column by binary search over line starts (LF, CRLF or CR). */
class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0a) this.starts.push(i + 1);
      else if (c === 0x0d) {
        if (text.charCodeAt(i + 1) === 0x0a) i++;
        this.starts.push(i + 1);
      }
    }
  }

  position(offset: number | undefined): SourcePosition | undefined {
    if (offset === undefined) return undefined;
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// eslint-disable-next-line no-control-regex
const NEEDS_SLOW_STRING_PATH = /[\u0000-\u001f\\\ud800-\udfff]/;
// Printable ASCII without a backslash: most strings (base64 payloads and signatures above all).
// An anchored positive class is several times faster on long strings than searching for the
// characters that need the slow path, so it is tried first.
const PLAIN_ASCII_STRING = /^[\x20-\x5b\x5d-\x7e]*$/;
const PLAIN_INTEGER = /^-?\d+$/;

class Parser {
  readonly valueOffsets = new Map<string, number>();
  readonly keyOffsets = new Map<string, number>();
  readonly inexactIntegers: string[] = [];
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
    /** Record positions and build JSON Pointers (slower); off for the fast pass. */
    private readonly track: boolean,
  ) {}

  parseDocument(): JsonValue {
    this.skipWhitespace();
    if (this.pos >= this.text.length)
      this.fail('syntax', 'unexpected end of input: expected a JSON value', '');
    const value = this.parseValue('', 1);
    this.skipWhitespace();
    if (this.pos < this.text.length) {
      this.fail('syntax', `unexpected ${this.describeHere()} after the end of the JSON value`, '');
    }
    return value;
  }

  private parseValue(pointer: string, depth: number): JsonValue {
    if (this.track) this.valueOffsets.set(pointer, this.pos);
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b /* { */:
        return this.parseObject(pointer, depth);
      case 0x5b /* [ */:
        return this.parseArray(pointer, depth);
      case 0x22 /* " */:
        return this.parseString(pointer);
      case 0x74 /* t */:
        return this.parseLiteral('true', true, pointer);
      case 0x66 /* f */:
        return this.parseLiteral('false', false, pointer);
      case 0x6e /* n */:
        return this.parseLiteral('null', null, pointer);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber(pointer);
        return this.fail(
          'syntax',
          `unexpected ${this.describeHere()}: expected a JSON value`,
          pointer,
        );
    }
  }

  private enter(depth: number, pointer: string): void {
    if (depth > this.maxDepth) {
      this.fail('too-deep', `nesting is deeper than the limit of ${this.maxDepth} levels`, pointer);
    }
  }

  private parseObject(pointer: string, depth: number): JsonObject {
    this.enter(depth, pointer);
    this.pos++;
    const object: JsonObject = {};
    const seen = new Map<string, number>();
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x7d /* } */) {
      this.pos++;
      return object;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== 0x22) {
        this.fail(
          'syntax',
          `unexpected ${this.describeHere()}: expected a member name in double quotes`,
          pointer,
        );
      }
      const keyOffset = this.pos;
      const key = this.parseString(pointer);
      const memberPointer = this.track ? appendPointer(pointer, key) : '';
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        const { line, column } = new LineIndex(this.text).position(earlier) ?? {
          line: 0,
          column: 0,
        };
        this.pos = keyOffset;
        this.fail(
          'duplicate-key',
          `duplicate member name ${JSON.stringify(key)}; it is first used at line ${line}, column ${column}`,
          memberPointer,
        );
      }
      seen.set(key, keyOffset);
      if (this.track) this.keyOffsets.set(memberPointer, keyOffset);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 0x3a /* : */) {
        this.fail(
          'syntax',
          `unexpected ${this.describeHere()}: expected ':' after the member name`,
          memberPointer,
        );
      }
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(memberPointer, depth + 1);
      if (key === '__proto__') {
        // Keep "__proto__" an ordinary own property, as JSON.parse does.
        Object.defineProperty(object, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        object[key] = value;
      }
      this.skipWhitespace();
      const next = this.text.charCodeAt(this.pos);
      if (next === 0x2c /* , */) {
        this.pos++;
        this.skipWhitespace();
        continue;
      }
      if (next === 0x7d /* } */) {
        this.pos++;
        return object;
      }
      this.fail(
        'syntax',
        `unexpected ${this.describeHere()}: expected ',' or '}' in the object`,
        pointer,
      );
    }
  }

  private parseArray(pointer: string, depth: number): JsonValue[] {
    this.enter(depth, pointer);
    this.pos++;
    const array: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x5d /* ] */) {
      this.pos++;
      return array;
    }
    for (;;) {
      array.push(this.parseValue(this.track ? `${pointer}/${array.length}` : '', depth + 1));
      this.skipWhitespace();
      const next = this.text.charCodeAt(this.pos);
      if (next === 0x2c) {
        this.pos++;
        this.skipWhitespace();
        continue;
      }
      if (next === 0x5d) {
        this.pos++;
        return array;
      }
      this.fail(
        'syntax',
        `unexpected ${this.describeHere()}: expected ',' or ']' in the array`,
        pointer,
      );
    }
  }

  private parseString(pointer: string): string {
    const start = this.pos;
    // Fast path: no escape, control character or surrogate before the closing quote.
    const close = this.text.indexOf('"', start + 1);
    if (close > 0) {
      const content = this.text.slice(start + 1, close);
      if (PLAIN_ASCII_STRING.test(content) || !NEEDS_SLOW_STRING_PATH.test(content)) {
        this.pos = close + 1;
        return content;
      }
    }
    this.pos++;
    let result = '';
    let chunkStart = this.pos;
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x22) {
        result += this.text.slice(chunkStart, this.pos);
        this.pos++;
        return result;
      }
      if (Number.isNaN(c)) {
        this.pos = start;
        this.fail('syntax', 'unterminated string: no closing double quote', pointer);
      }
      if (c < 0x20) {
        this.fail(
          'syntax',
          `control character U+${c.toString(16).padStart(4, '0').toUpperCase()} must be escaped inside a string`,
          pointer,
        );
      }
      if (c === 0x5c /* \ */) {
        result += this.text.slice(chunkStart, this.pos);
        result += this.parseEscape(pointer);
        chunkStart = this.pos;
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const low = this.text.charCodeAt(this.pos + 1);
        if (c >= 0xdc00 || !(low >= 0xdc00 && low <= 0xdfff)) {
          this.fail(
            'not-i-json',
            'lone UTF-16 surrogate in a string (I-JSON, RFC 7493 section 2.1)',
            pointer,
          );
        }
        this.pos += 2;
        continue;
      }
      this.pos++;
    }
  }

  private parseEscape(pointer: string): string {
    const escapeStart = this.pos;
    const e = this.text.charCodeAt(this.pos + 1);
    this.pos += 2;
    switch (e) {
      case 0x22:
        return '"';
      case 0x5c:
        return '\\';
      case 0x2f:
        return '/';
      case 0x62:
        return '\b';
      case 0x66:
        return '\f';
      case 0x6e:
        return '\n';
      case 0x72:
        return '\r';
      case 0x74:
        return '\t';
      case 0x75: {
        const unit = this.readHex4(escapeStart, pointer);
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (this.text.startsWith('\\u', this.pos)) {
            const lowStart = this.pos;
            this.pos += 2;
            const low = this.readHex4(lowStart, pointer);
            if (low >= 0xdc00 && low <= 0xdfff) return String.fromCharCode(unit, low);
          }
          this.pos = escapeStart;
          this.fail(
            'not-i-json',
            'escaped lone UTF-16 surrogate in a string (I-JSON, RFC 7493 section 2.1)',
            pointer,
          );
        }
        if (unit >= 0xdc00 && unit <= 0xdfff) {
          this.pos = escapeStart;
          this.fail(
            'not-i-json',
            'escaped lone UTF-16 surrogate in a string (I-JSON, RFC 7493 section 2.1)',
            pointer,
          );
        }
        return String.fromCharCode(unit);
      }
      default:
        this.pos = escapeStart;
        return this.fail(
          'syntax',
          `invalid escape sequence ${JSON.stringify(this.text.slice(escapeStart, escapeStart + 2))}`,
          pointer,
        );
    }
  }

  private readHex4(escapeStart: number, pointer: string): number {
    const hex = this.text.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
      this.pos = escapeStart;
      this.fail('syntax', 'invalid \\u escape: expected four hexadecimal digits', pointer);
    }
    this.pos += 4;
    return parseInt(hex, 16);
  }

  private parseNumber(pointer: string): number {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    const lexeme = match?.[0] ?? '';
    const after = this.text.charCodeAt(this.pos + lexeme.length);
    // A number must not run into further digits, a dot or an exponent it could not consume.
    if (
      lexeme === '' ||
      lexeme === '-' ||
      (after >= 0x30 && after <= 0x39) ||
      after === 0x2e ||
      after === 0x65 ||
      after === 0x45
    ) {
      return this.fail('syntax', `invalid number ${JSON.stringify(this.tokenHere())}`, pointer);
    }
    const value = Number(lexeme);
    if (!Number.isFinite(value)) {
      this.fail(
        'not-i-json',
        `number ${lexeme} is too large for an IEEE 754 double (I-JSON, RFC 7493 section 2.2)`,
        pointer,
      );
    }
    if (
      PLAIN_INTEGER.test(lexeme) &&
      !Number.isSafeInteger(value) &&
      BigInt(lexeme) !== BigInt(value)
    ) {
      this.inexactIntegers.push(pointer);
    }
    this.pos += lexeme.length;
    return value;
  }

  private parseLiteral<T extends JsonValue>(word: string, value: T, pointer: string): T {
    if (!this.text.startsWith(word, this.pos)) {
      this.fail('syntax', `unexpected ${this.describeHere()}: expected a JSON value`, pointer);
    }
    this.pos += word.length;
    return value;
  }

  private skipWhitespace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else return;
    }
  }

  private tokenHere(): string {
    const match = /^[^\s,:[\]{}"]{1,20}/.exec(this.text.slice(this.pos, this.pos + 20));
    return match?.[0] ?? this.text.charAt(this.pos);
  }

  private describeHere(): string {
    if (this.pos >= this.text.length) return 'end of input';
    const c = this.text.charAt(this.pos);
    if (c === "'") return 'single quote (JSON strings use double quotes)';
    const token = this.tokenHere();
    if (token.length > 1) return JSON.stringify(token);
    return `character ${JSON.stringify(c)}`;
  }

  private fail(code: JsonErrorCode, message: string, pointer: string): never {
    throw new ParseFailure(code, message, this.pos, pointer);
  }
}
