/** The strict JSON parser: packages/governance/src/json/parse.ts (shared, see ./index.ts). */
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
} from 'matriz-governance/json';
