/** JSON with positions (RFC 8259 / I-JSON), JSON Pointer (RFC 6901) and JCS (RFC 8785). Pure. */
export { canonicalize, CanonicalizationError, formatCanonical } from './canonicalize.js';
export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  parseJson,
  type FailedParse,
  type JsonErrorCode,
  type JsonObject,
  type JsonParseError,
  type JsonValue,
  type ParsedJson,
  type ParseOptions,
  type ParseResult,
  type SourcePosition,
} from './parse.js';
export { appendPointer, fieldPath, pointerTokens } from './pointer.js';
