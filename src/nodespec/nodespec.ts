/**
 * The NodeSpec v1 contract as a type. It mirrors `schemas/nodespec.v1.schema.json`: values
 * of this type have passed `validateNodeSpec`, so code below the edge can trust the shape.
 */

/** The lanes a node can claim (DESIGN.md, NodeSpec v1): the one list every layer uses. */
export const LANES = ['candidate', 'core', 'lukhas', 'products'] as const;

export type Lane = (typeof LANES)[number];

export interface Port {
  name: string;
  schema_ref: string;
  [extension: string]: unknown;
}

export interface NodeSpec {
  node_type: string;
  metadata: {
    name: string;
    version: string;
    schema_version: 'nodespec.v1';
    created_at: string;
    authors?: string[];
    [extension: string]: unknown;
  };
  identity: {
    owner_id: string;
    lane: Lane;
    tier: number;
    roles: string[];
    capabilities_policy?: { allow?: string[]; deny?: string[]; [extension: string]: unknown };
    [extension: string]: unknown;
  };
  interfaces: {
    inputs: Port[];
    outputs: Port[];
    signals: {
      emits?: { name: string; latency_target_ms?: number; [extension: string]: unknown }[];
      subscribes?: { signal: string; handler: string; [extension: string]: unknown }[];
      [extension: string]: unknown;
    };
    [extension: string]: unknown;
  };
  contracts: {
    performance_hints?: {
      p50?: number;
      p95?: number;
      p99?: number;
      concurrency?: number;
      timeout_ms?: number;
      [extension: string]: unknown;
    };
    throughput_ops_sec?: { target?: number; [extension: string]: unknown };
    [extension: string]: unknown;
  };
  provenance_manifest: {
    glymph_enabled?: boolean;
    signing_scheme?: string;
    pqc_compat?: boolean;
    [extension: string]: unknown;
  };
  security: {
    encryption?: Record<string, unknown>;
    auth_requirements?: Record<string, unknown>;
    attestation?: Record<string, unknown>;
    [extension: string]: unknown;
  };
  graceful_degradation?: Record<string, unknown>;
  compatibility?: Record<string, unknown>;
  extraplanetary_policy?: Record<string, unknown>;
}
